export {
  createDocsRoutes,
  DOCS_CONTENT_SECURITY_POLICY,
  type DocsRoutesOptions,
  type DocsSettings,
  registerDocsRoutes,
} from './docs-routes.js';
export { defaultOpenApiDocument, type OpenApiSettings } from './openapi.js';
export {
  attachOpenApiSource,
  buildOpenApiDocument,
  createOpenApiSource,
  type OpenApiBuildOptions,
  type OpenApiSource,
  openApiSourceOf,
  PROBLEM_SCHEMA,
} from './openapi-document.js';
export { mergeOpenApi } from './openapi-merge.js';
export { type OpenApiPath, toOpenApiPaths } from './openapi-paths.js';
