export {
  createDocsRoutes,
  DOCS_CONTENT_SECURITY_POLICY,
  type DocsRoutesOptions,
  type DocsSettings,
  registerDocsRoutes,
} from './docs-routes.js';
export { defaultOpenApiDocument, type OpenApiSettings } from './openapi.js';
