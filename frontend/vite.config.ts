import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The Python package serves the build: src/hedgerow/web/app/ (index.html + hashed assets/).
const outDir = fileURLToPath(new URL("../src/hedgerow/web/app", import.meta.url));
// `npm run dev` proxies the API (and capture) to a `hedgerow serve` on this address.
const hedgerow = process.env.HEDGEROW_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: "assets",
    // The server's Content-Security-Policy allows no data: scripts or fonts; keep every
    // asset a file.
    assetsInlineLimit: 0,
    target: "es2022",
  },
  server: {
    proxy: {
      "/api": hedgerow,
      "/static": hedgerow,
      "/e": hedgerow,
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
