import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Served by the binary under /app/ (server.web_dir); the API is on the same origin.
export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true },
});
