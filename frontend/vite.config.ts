import { defineConfig } from "vite";

// The page is served by `tilefarm serve` from frontend/dist; in `npm run dev` the API is proxied.
export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: true },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
});
