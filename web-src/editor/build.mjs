// Builds ../../static/editor.js (and ../../static/editor.LICENSES.txt).
//
// The bundle's first line is
//   /* layerlab editor bundle; sources sha256:<hex> */
// where <hex> is the sources hash defined below. static/bundle_test.go
// recomputes the same hash and fails when the committed bundle is stale.
//
// Sources hash (keep in sync with static/bundle_test.go):
//   inputs = package-lock.json + every regular file under src/ (recursive),
//            named by its path relative to web-src/editor with "/" separators;
//   sort the names by byte order;
//   hash   = sha256 over the file contents concatenated in that order,
//            with no separators; written as lowercase hex.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, "..", "..", "static", "editor.js");
const licenseFile = join(here, "..", "..", "static", "editor.LICENSES.txt");

function listFiles(rel) {
  const out = [];
  for (const ent of readdirSync(join(here, rel), { withFileTypes: true })) {
    const child = rel + "/" + ent.name;
    if (ent.isDirectory()) out.push(...listFiles(child));
    else if (ent.isFile()) out.push(child);
  }
  return out;
}

export function sourcesHash() {
  const names = ["package-lock.json", ...listFiles("src")];
  names.sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
  const h = createHash("sha256");
  for (const name of names) h.update(readFileSync(join(here, name)));
  return h.digest("hex");
}

function licenses(metafile) {
  const pkgs = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (m) pkgs.set(m[2], join(here, m[1]));
  }
  const parts = [
    "Third-party software bundled in static/editor.js (built from web-src/editor).",
    "",
  ];
  for (const name of [...pkgs.keys()].sort()) {
    const dir = pkgs.get(name);
    const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const lic = ["LICENSE", "LICENSE.md", "LICENSE.txt", "license"].map((f) => join(dir, f)).find(existsSync);
    parts.push("=".repeat(72), `${name}@${meta.version} (${meta.license || "see below"})`, "=".repeat(72));
    parts.push(lic ? readFileSync(lic, "utf8").trim() : "(no license file shipped in the package)", "");
  }
  return parts.join("\n");
}

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ["src/editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "LayerlabEditor",
  target: ["es2020"],
  legalComments: "none",
  charset: "utf8",
  metafile: true,
  write: false,
  logLevel: "warning",
});

const header = `/* layerlab editor bundle; sources sha256:${sourcesHash()} */\n` +
  "/* built from web-src/editor; third-party licenses: editor.LICENSES.txt */\n";
const body = result.outputFiles[0].text;
writeFileSync(outFile, header + body);
writeFileSync(licenseFile, licenses(result.metafile));
console.log(`wrote ${outFile} (${Buffer.byteLength(header + body)} bytes)`);
