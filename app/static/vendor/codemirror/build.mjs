// Bundles entry.mjs into codemirror.min.js, and writes beside it the licence of every
// package whose code the bundle holds (each asks for its notice to be kept with copies).
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";

// CodeMirror's styles are put in by style-mod, which adopts a constructed stylesheet only
// in a shadow root and writes a <style> element into a document's head: the site's
// Content-Security-Policy (style-src 'self', no inline style) refuses that element. Every
// browser the site supports adopts constructed stylesheets in a document too, and the CSP
// allows them, so the bundle's style-mod does so wherever it can.
const STYLE_MOD_TEST = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {";
const adoptedStylesheets = {
  name: "adopted-stylesheets",
  setup(bundler) {
    bundler.onLoad({ filter: /style-mod[\\/]src[\\/]style-mod\.js$/ }, ({ path }) => {
      const source = readFileSync(path, "utf8");
      if (!source.includes(STYLE_MOD_TEST)) {
        throw new Error(`style-mod has changed: look again at ${path} before upgrading it`);
      }
      const contents = source.replace(
        STYLE_MOD_TEST,
        "if (root.adoptedStyleSheets && win.CSSStyleSheet) {",
      );
      return { contents, loader: "js" };
    });
  },
};

const result = await build({
  entryPoints: ["entry.mjs"],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  legalComments: "none",
  banner: { js: "/* CodeMirror 6 (codemirror.net), MIT licence: see LICENSES.txt beside this file */" },
  metafile: true,
  plugins: [adoptedStylesheets],
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
