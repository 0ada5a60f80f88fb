/**
 * Notebook reports: Markdown + SQL + Vega-Lite, rendered to an offline HTML page, PNG charts and CSV data.
 * The notebook format is described in notebooks/README.md.
 */
export { renderNotebook, defaultReportsDir, type RenderOptions, type RenderResult } from './render.ts';
export { listNotebooks, listRenderedReports, resolveNotebookFile, NOTEBOOKS_DIR, type NotebookInfo, type RenderedReportInfo } from './catalog.ts';
export { parseParamArgs } from './params.ts';
