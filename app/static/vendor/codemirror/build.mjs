// Bundles entry.mjs into codemirror.min.js, and writes beside it the licence of every
// package whose code the bundle holds (each asks for its notice to be kept with copies).
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";

const result = await build({
  entryPoints: ["entry.mjs"],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  legalComments: "none",
  banner: { js: "/* CodeMirror 6 (codemirror.net), MIT licence: see LICENSES.txt beside this file */" },
  metafile: true,
  outfile: "codemirror.min.js",
});

const bundled = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (match && bytesInOutput > 0) bundled.add(match[1]);
  }
}
const notices = [...bundled].sort().map((name) => {
  const { version, license } = JSON.parse(readFileSync(`node_modules/${name}/package.json`));
  const text = readFileSync(`node_modules/${name}/LICENSE`, "utf8").trim();
  return `${name} ${version} (${license})\n\n${text}\n`;
});
writeFileSync(
  "LICENSES.txt",
  `Licences of the packages bundled in codemirror.min.js.\n\n${notices.join("\n---\n\n")}`,
);
