// The lesson editor: turns each `textarea[data-editor]` into a CodeMirror editor, keeping
// the textarea's value in step so that the form still posts the text as it would without
// this script. After each pause in the typing the text is sent to the textarea's
// `data-check-url`, which answers with the preview and the problems; the problems are
// listed under the editor (each a button that takes the cursor there) and marked in the
// text. Every word shown comes from the page (data- attributes), in its language.
import {
  EditorSelection,
  EditorState,
  EditorView,
  HighlightStyle,
  LanguageSupport,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSelectionMatches,
  highlightSpecialChars,
  history,
  historyKeymap,
  defaultKeymap,
  keymap,
  lineNumbers,
  lintGutter,
  markdownLanguage,
  search,
  searchKeymap,
  setDiagnostics,
  syntaxHighlighting,
  tags,
} from "../vendor/codemirror/codemirror.min.js";

// Long enough not to ask at each keystroke, short enough to feel immediate.
const CHECK_DELAY_MS = 400;

// Colours from the site's design tokens (app/static/css/aula.css), so dark mode follows.
const markdownStyle = HighlightStyle.define([
  { tag: tags.heading, fontWeight: "700", color: "var(--ink)" },
  { tag: tags.strong, fontWeight: "700" },
  { tag: tags.emphasis, fontStyle: "italic" },
  { tag: tags.link, color: "var(--accent)", textDecoration: "underline" },
  { tag: tags.url, color: "var(--muted)" },
  { tag: [tags.monospace, tags.meta, tags.processingInstruction], color: "var(--muted)" },
  { tag: [tags.quote, tags.comment], color: "var(--muted)", fontStyle: "italic" },
  { tag: tags.contentSeparator, color: "var(--muted)" },
]);

const siteTheme = EditorView.theme({
  "&": { color: "var(--ink)", backgroundColor: "var(--paper)" },
  "&.cm-focused": { outline: "var(--focus-ring)", outlineOffset: "2px" },
  ".cm-content": { caretColor: "var(--ink)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--ink)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground":
    { backgroundColor: "var(--code-bg)" },
  ".cm-activeLine": { backgroundColor: "var(--soft)" },
  ".cm-gutters": {
    backgroundColor: "var(--soft)",
    color: "var(--muted)",
    borderRight: "1px solid var(--line)",
  },
  ".cm-activeLineGutter": { backgroundColor: "var(--line)", color: "var(--ink)" },
  ".cm-panels": { backgroundColor: "var(--soft)", color: "var(--ink)" },
  ".cm-tooltip": {
    backgroundColor: "var(--paper)",
    color: "var(--ink)",
    border: "1px solid var(--line)",
  },
});

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function position(doc, line, column) {
  const found = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(found.from + Math.max(column, 1) - 1, found.to);
}

function diagnostics(doc, problems) {
  return problems.map((problem) => {
    const from = position(doc, problem.line, problem.column);
    const end = doc.lineAt(from).to;
    // The rest of the line from where the problem is; the last character of a line where
    // the problem is at its end, so that there is something to see.
    const start = from === end && from > doc.lineAt(from).from ? from - 1 : from;
    return {
      from: start,
      to: Math.max(end, start),
      severity: problem.level === "error" ? "error" : "warning",
      message: problem.message,
    };
  });
}

function enhance(textarea) {
  const words = textarea.dataset;
  const form = textarea.form;
  const token = form.querySelector('input[name="csrf_token"]').value;
  const preview = document.getElementById("preview");
  const list = document.getElementById("problems");
  const status = document.getElementById("problems-status");
  let timer = null;
  let asked = 0;
  let running = null;

  const say = (text) => {
    // Said again only when it changes, so a screen reader is not told the same at each pause.
    if (status.textContent !== text) status.textContent = text;
  };

  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        lintGutter(),
        new LanguageSupport(markdownLanguage),
        syntaxHighlighting(markdownStyle),
        siteTheme,
        EditorView.lineWrapping,
        // No Tab binding: Tab leaves the editor, as it leaves any text field.
        keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap]),
        EditorState.phrases.of(JSON.parse(words.phrases || "{}")),
        EditorView.contentAttributes.of({
          "aria-labelledby": textarea.labels[0]?.id || "",
          lang: textarea.lang,
          spellcheck: "true",
          // Focusable as it is, being editable; said so, so that checkers such as axe know
          // the scrolling region around it can be reached with the keyboard.
          tabindex: "0",
        }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          textarea.value = update.state.doc.toString();
          clearTimeout(timer);
          timer = setTimeout(check, CHECK_DELAY_MS);
        }),
      ],
    }),
  });
  textarea.after(view.dom);
  textarea.hidden = true;
  // The label leads to the editor now, not to the hidden textarea.
  for (const label of textarea.labels) {
    label.addEventListener("click", () => view.focus());
  }

  const goTo = (problem) => {
    const at = position(view.state.doc, problem.line, problem.column);
    view.dispatch({ selection: EditorSelection.cursor(at), scrollIntoView: true });
    view.focus();
  };

  const show = (answer) => {
    const problems = answer.problems;
    view.dispatch(setDiagnostics(view.state, diagnostics(view.state.doc, problems)));
    list.replaceChildren(
      ...problems.map((problem) => {
        const item = document.createElement("li");
        item.className = `problem problem-${problem.level}`;
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        const level = document.createElement("span");
        level.className = "problem-level";
        level.textContent = problem.level === "error" ? words.levelError : words.levelWarning;
        button.append(level, " ", fill(words.problem, problem));
        button.addEventListener("click", () => goTo(problem));
        item.append(button);
        return item;
      }),
    );
    const errors = problems.filter((problem) => problem.level === "error").length;
    let text = problems.length
      ? fill(words.count, { errors, warnings: problems.length - errors })
      : words.none;
    if (answer.html === null) {
      text += ` ${words.stale}`;
    } else {
      preview.innerHTML = answer.html;
    }
    say(text);
  };

  async function check() {
    const number = ++asked;
    running?.abort();
    running = new AbortController();
    try {
      const response = await fetch(words.checkUrl, {
        method: "POST",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
        body: new URLSearchParams({ text: view.state.doc.toString() }),
        credentials: "same-origin",
        signal: running.signal,
      });
      if (!response.ok) throw new Error(`check answered ${response.status}`);
      const answer = await response.json();
      // An answer to an earlier text, overtaken by a later one, is left unsaid.
      if (number === asked) show(answer);
    } catch (error) {
      if (error.name !== "AbortError" && number === asked) say(words.failed);
    }
  }

  form.addEventListener("submit", () => {
    textarea.value = view.state.doc.toString();
  });
  check();

  // A picture uploaded from the page goes into the text where the cursor is, with its
  // description; without this script the page that answers gives the line to paste.
  const pictures = document.querySelector("form[data-picture-form]");
  const pictureStatus = document.getElementById("picture-status");
  pictures?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const said = pictures.dataset;
    try {
      const response = await fetch(pictures.action, {
        method: "POST",
        headers: { Accept: "application/json" },
        body: new FormData(pictures),
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (!response.ok) {
        pictureStatus.textContent = answer.error || said.failed;
        return;
      }
      const { from, to } = view.state.selection.main;
      view.dispatch({
        changes: { from, to, insert: answer.markdown },
        selection: EditorSelection.cursor(from + answer.markdown.length),
        scrollIntoView: true,
      });
      pictures.reset();
      pictureStatus.textContent = said.added;
      view.focus();
    } catch {
      pictureStatus.textContent = said.failed;
    }
  });
}

for (const textarea of document.querySelectorAll("textarea[data-editor]")) {
  enhance(textarea);
}
