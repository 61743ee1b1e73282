/**
 * The dashboard's one HTML page. Views are drawn by /ui/app.js into `<main>`; the header holds the
 * navigation and the connection settings (namespace in localStorage, API key in sessionStorage).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Tributary</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/ui/style.css">
  <script type="module" src="/ui/app.js"></script>
</head>
<body>
  <header class="top">
    <a class="brand" href="#/">Tributary</a>
    <nav aria-label="Breadcrumb"><ol id="crumbs"></ol></nav>
    <form id="settings" class="settings">
      <label>Namespace <input id="ns" name="ns" autocomplete="off" spellcheck="false" size="10"></label>
      <label>API key <input id="key" name="key" type="password" autocomplete="off" size="14" placeholder="none"></label>
      <button type="submit">Save</button>
    </form>
  </header>
  <div id="notice" role="alert" hidden></div>
  <main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
  <noscript><p>The Tributary dashboard needs JavaScript.</p></noscript>
</body>
</html>
`;
