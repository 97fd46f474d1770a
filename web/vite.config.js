// Builds the single-page app into the build tree's htdocs/ (the Makefile passes --outDir).
// JSX is compiled by vite's own esbuild for Preact: no Babel, no plugin.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    // one file per kind; nothing inlined as data: URLs or inline scripts (the CSP forbids them)
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
    rollupOptions: {
      // TanStack's "use client" lines mean nothing outside React server components
      onwarn(w, warn) {
        if (w.code !== 'MODULE_LEVEL_DIRECTIVE') warn(w);
      },
    },
  },
});
