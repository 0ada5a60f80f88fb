export { scoreAlerts, scoreOnMarket } from './score.ts';
export { prepareMarket, type Market } from './market.ts';
export { formatScorecard } from './format.ts';
export { parseScoreOptions, ScoreOptions, type ScoreOptionsInput } from './options.ts';
export type * from './types.ts';
