// Writing a generated TypeScript module: formatted as the page's own code is (its .prettierrc),
// wherever it is written, so that a module generated into a temporary folder to compare with the
// committed one comes out byte for byte the same.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Format `source` with the page's Prettier settings and write it to `outPath`. */
export async function writeTypeScript(outPath, source) {
  const config = await resolveConfig(resolve(FRONTEND, "src", "generated", "module.ts"));
  const formatted = await format(source, { ...config, parser: "typescript" });
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, formatted);
}
