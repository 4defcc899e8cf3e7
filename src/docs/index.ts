export {
  createDocsRoutes,
  DOCS_CONTENT_SECURITY_POLICY,
  type DocsRoutesOptions,
  registerDocsRoutes,
} from './docs-routes.js';
export {
  attachOpenApiSource,
  buildOpenApiDocument,
  createOpenApiSource,
  type OpenApiSource,
  openApiSourceOf,
} from './openapi-document.js';
export { mergeOpenApi } from './openapi-merge.js';
