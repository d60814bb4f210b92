// What app/static/js/editor.js uses of CodeMirror 6, bundled into codemirror.min.js.
// A lean set rather than basicSetup: no autocompletion, no bracket closing, no Tab binding
// (keyboard focus must be able to leave the editor with Tab).
export { EditorSelection, EditorState } from "@codemirror/state";
export {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
export { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
export { HighlightStyle, LanguageSupport, syntaxHighlighting } from "@codemirror/language";
export { tags } from "@lezer/highlight";
export { markdownLanguage } from "@codemirror/lang-markdown";
export { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
export { lintGutter, setDiagnostics } from "@codemirror/lint";
