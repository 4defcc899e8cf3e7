/** Escapes text for an HTML text node or a double-quoted attribute. */
function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The Swagger UI page: assets from `${base}/assets/`, the start-up script from `${base}/swagger-initializer.js`. */
export function swaggerPage(title: string, base: string): string {
  const t = escapeHtml(title);
  const b = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t} - Swagger UI</title>
<link rel="stylesheet" href="${b}/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="${b}/assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${b}/assets/swagger-ui-bundle.js"></script>
<script src="${b}/swagger-initializer.js"></script>
</body>
</html>
`;
}

/** The script starting Swagger UI on `specUrl`; a separate file so the page needs no inline script under CSP. */
export function swaggerInitializer(specUrl: string): string {
  return `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(specUrl)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;
}

/** The ReDoc page: the standalone bundle renders the `<redoc>` element, no inline script. */
export function redocPage(title: string, specUrl: string, bundleUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - ReDoc</title>
</head>
<body>
<redoc spec-url="${escapeHtml(specUrl)}"></redoc>
<script src="${escapeHtml(bundleUrl)}"></script>
</body>
</html>
`;
}
