// layerlab browser code editor: a thin wrapper around CodeMirror 6.
//
// Built by ../build.mjs into static/editor.js as an IIFE that defines the
// global `LayerlabEditor`. The page code only ever calls create() and the
// methods of the object it returns; see ../README.md for the API.
//
// Keyboard: Tab / Shift-Tab are NOT bound, so they move focus out of the
// editor like any other form field. Escape collapses the selection;
// Ctrl-Enter / Mod-Enter run opts.onBuild.

import { EditorState, Compartment, StateEffect, StateField, RangeSet, Prec } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  Decoration,
  gutter,
  GutterMarker,
} from "@codemirror/view";
import { StreamLanguage, syntaxHighlighting, HighlightStyle, bracketMatching } from "@codemirror/language";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { lintGutter, setDiagnostics as lintSetDiagnostics } from "@codemirror/lint";
import { tags as t } from "@lezer/highlight";

import { dockerFile } from "@codemirror/legacy-modes/mode/dockerfile";
import { python } from "@codemirror/legacy-modes/mode/python";
import { javascript, typescript } from "@codemirror/legacy-modes/mode/javascript";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { yaml } from "@codemirror/legacy-modes/mode/yaml";
import { toml } from "@codemirror/legacy-modes/mode/toml";

// ---------------------------------------------------------------------------
// Languages, chosen by file name.

const parsers = { dockerfile: dockerFile, python, javascript, typescript, shell, yaml, toml };
const languageCache = {};

/** languageName returns the mode name used for filename ("" = plain text). */
export function languageName(filename) {
  const base = String(filename == null ? "Dockerfile" : filename)
    .split(/[\\/]/)
    .pop()
    .toLowerCase();
  if (base === "dockerfile" || base === "containerfile" || base.startsWith("dockerfile.") || base.endsWith(".dockerfile")) {
    return "dockerfile";
  }
  const dot = base.lastIndexOf(".");
  const ext = dot >= 0 ? base.slice(dot + 1) : "";
  switch (ext) {
    case "py":
      return "python";
    case "js":
    case "mjs":
    case "cjs":
      return "javascript";
    case "ts":
      return "typescript";
    case "sh":
    case "bash":
      return "shell";
    case "yml":
    case "yaml":
      return "yaml";
    case "toml":
      return "toml";
    default:
      return "";
  }
}

function languageExtension(filename) {
  const name = languageName(filename);
  if (!name) return [];
  if (!languageCache[name]) languageCache[name] = StreamLanguage.define(parsers[name]);
  return languageCache[name];
}

// ---------------------------------------------------------------------------
// Step marks: line decorations + a gutter label on each step's first line.

const STEP_LABELS = {
  cached: "✓ cached",
  changed: "✎ changed",
  downstream: "↓ rebuilt",
  new: "+ new",
  failed: "✗ failed",
  base: "◆ base",
};

class StepMarker extends GutterMarker {
  constructor(state) {
    super();
    this.state = state;
  }
  eq(other) {
    return other.state === this.state;
  }
  toDOM() {
    const span = document.createElement("span");
    span.className = "cm-step-label cm-step-label-" + this.state;
    span.textContent = STEP_LABELS[this.state];
    return span;
  }
}

const stepMarkers = {};
const stepLineDecos = {};
for (const state of Object.keys(STEP_LABELS)) {
  stepMarkers[state] = new StepMarker(state);
  stepLineDecos[state] = Decoration.line({
    class: "cm-step cm-step-" + state,
    attributes: { "data-step": state, title: STEP_LABELS[state] },
  });
}
const widestMarker = new StepMarker("changed");

const setStepsEffect = StateEffect.define();
const emptySteps = { decos: Decoration.none, markers: RangeSet.empty };

function clampLine(doc, n) {
  n = Math.floor(Number(n));
  if (!Number.isFinite(n)) n = 1;
  return Math.max(1, Math.min(doc.lines, n));
}

function lineRange(doc, item) {
  const start = clampLine(doc, item.line);
  const end = Math.max(start, clampLine(doc, item.endLine == null ? item.line : item.endLine));
  return [start, end];
}

function buildSteps(doc, list) {
  const decos = [];
  const markers = [];
  for (const item of list || []) {
    if (!item || !Object.prototype.hasOwnProperty.call(STEP_LABELS, item.state)) continue;
    const [start, end] = lineRange(doc, item);
    const first = doc.line(start).from;
    markers.push(stepMarkers[item.state].range(first));
    for (let n = start; n <= end; n++) {
      decos.push(stepLineDecos[item.state].range(doc.line(n).from));
    }
  }
  return { decos: Decoration.set(decos, true), markers: RangeSet.of(markers, true) };
}

const stepField = StateField.define({
  create: () => emptySteps,
  update(value, tr) {
    for (const e of tr.effects) {
      if (e.is(setStepsEffect)) value = e.value === null ? emptySteps : buildSteps(tr.state.doc, e.value);
    }
    if (tr.docChanged && value !== emptySteps) {
      value = { decos: value.decos.map(tr.changes), markers: value.markers.map(tr.changes) };
    }
    return value;
  },
  provide: (f) => EditorView.decorations.from(f, (v) => v.decos),
});

const stepGutter = gutter({
  class: "cm-step-gutter",
  markers: (view) => view.state.field(stepField).markers,
  initialSpacer: () => widestMarker,
});

// ---------------------------------------------------------------------------
// Diagnostics.

const SEVERITIES = { error: "error", warning: "warning", info: "info", hint: "hint" };

function toDiagnostics(doc, list) {
  const out = [];
  for (const item of list || []) {
    if (!item) continue;
    const [start, end] = lineRange(doc, item);
    const first = doc.line(start);
    const last = doc.line(end);
    let from = first.from + (/^\s*/.exec(first.text)[0].length);
    let to = last.from + last.text.replace(/\s+$/, "").length;
    if (to <= from) {
      from = first.from;
      to = Math.max(first.from, last.to);
    }
    out.push({
      from,
      to,
      severity: SEVERITIES[item.severity] || "error",
      message: String(item.message == null ? "" : item.message),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Theme: large, high-contrast, light; projector friendly.

const MONO = 'ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace';

const theme = EditorView.theme(
  {
    "&": {
      fontSize: "16px",
      color: "#111111",
      backgroundColor: "#ffffff",
      border: "1px solid #767676",
    },
    "&.cm-focused": { outline: "3px solid #1a56db", outlineOffset: "1px" },
    ".cm-scroller": { fontFamily: MONO, lineHeight: "1.55" },
    ".cm-content": { caretColor: "#000000", padding: "6px 0" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "#000000", borderLeftWidth: "2px" },
    ".cm-line": { padding: "0 8px 0 12px" },
    ".cm-activeLine": {
      backgroundColor: "#f2f6fc",
      // An overlay image so a step's background colour still shows on the active line.
      backgroundImage: "linear-gradient(rgba(0, 40, 120, 0.06), rgba(0, 40, 120, 0.06))",
    },
    ".cm-gutters": { backgroundColor: "#f4f4f4", color: "#3d3d3d", borderRight: "1px solid #9e9e9e" },
    ".cm-activeLineGutter": { backgroundColor: "#dde6f3", color: "#000000" },
    ".cm-lineNumbers .cm-gutterElement": { padding: "0 8px 0 10px" },
    "&.cm-focused .cm-matchingBracket": { backgroundColor: "#c8e1ff", outline: "1px solid #1a56db" },
    "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: "#ffd0d0", outline: "1px solid #b71c1c" },
    ".cm-content ::selection, .cm-line::selection": { backgroundColor: "#b3d4ff" },
    ".cm-tooltip": { fontSize: "16px", border: "1px solid #555555", backgroundColor: "#ffffff", color: "#111111" },
    ".cm-diagnostic": { padding: "4px 8px" },
    ".cm-diagnostic-error": { borderLeft: "5px solid #c62828" },
    ".cm-diagnostic-warning": { borderLeft: "5px solid #b45309" },
    ".cm-diagnostic-info": { borderLeft: "5px solid #1565c0" },

    // Step gutter labels: text + symbol, colour only as a reinforcement.
    ".cm-step-gutter .cm-gutterElement": { padding: "0 6px", fontWeight: "600", fontSize: "14px", whiteSpace: "nowrap" },
    ".cm-step-label-cached": { color: "#1b5e20" },
    ".cm-step-label-changed": { color: "#8a3a00" },
    ".cm-step-label-downstream": { color: "#0d47a1" },
    ".cm-step-label-new": { color: "#4a148c" },
    ".cm-step-label-failed": { color: "#b71c1c" },
    ".cm-step-label-base": { color: "#333333" },

    // Step line decorations. Each state differs by background AND by the
    // style of its left border; padding compensates so text stays aligned
    // (12px in total with the border). `.cm-line.cm-step-*` outranks the
    // active-line background colour.
    "& .cm-line.cm-step-cached": { backgroundColor: "#dcf2dc", borderLeft: "2px solid #2e7d32", paddingLeft: "10px" },
    "& .cm-line.cm-step-changed": { backgroundColor: "#ffe2b3", borderLeft: "5px solid #c2410c", paddingLeft: "7px" },
    "& .cm-line.cm-step-downstream": { backgroundColor: "#dcebff", borderLeft: "5px dashed #1565c0", paddingLeft: "7px" },
    "& .cm-line.cm-step-new": { backgroundColor: "#ece0fb", borderLeft: "6px double #6a1b9a", paddingLeft: "6px" },
    "& .cm-line.cm-step-failed": { backgroundColor: "#ffd9d9", borderLeft: "9px solid #b71c1c", paddingLeft: "3px" },
    "& .cm-line.cm-step-base": { backgroundColor: "#ebebeb", borderLeft: "5px dotted #424242", paddingLeft: "7px" },
  },
  { dark: false }
);

// Syntax colours: all at least 4.5:1 against white and the step backgrounds.
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], color: "#0b3fa8", fontWeight: "bold" },
  { tag: [t.string, t.special(t.string), t.regexp], color: "#8f1414" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "#2f5e2f", fontStyle: "italic" },
  { tag: [t.number, t.bool, t.atom, t.null], color: "#005c5c" },
  { tag: [t.variableName, t.special(t.variableName)], color: "#111111" },
  { tag: [t.definition(t.variableName), t.function(t.variableName), t.propertyName], color: "#5a2a00" },
  { tag: [t.typeName, t.className, t.namespace], color: "#5b1f7a" },
  { tag: [t.meta, t.attributeName, t.labelName], color: "#4a3b00" },
  { tag: [t.operator, t.punctuation, t.bracket], color: "#333333" },
  { tag: t.invalid, color: "#b71c1c", textDecoration: "underline" },
]);

// ---------------------------------------------------------------------------
// create()

/**
 * create mounts an editor inside parent.
 * opts: {doc, filename = "Dockerfile", onChange(text), onBuild(), ariaLabel}
 */
export function create(parent, opts = {}) {
  const language = new Compartment();
  let filename = opts.filename == null ? "Dockerfile" : String(opts.filename);

  const runBuild = () => {
    if (typeof opts.onBuild !== "function") return false;
    opts.onBuild();
    return true;
  };

  const contentAttrs = { spellcheck: "false", autocapitalize: "off", autocorrect: "off" };
  if (opts.ariaLabel) contentAttrs["aria-label"] = String(opts.ariaLabel);

  const extensions = () => [
    Prec.highest(
      keymap.of([
        { key: "Mod-Enter", run: runBuild },
        { key: "Ctrl-Enter", run: runBuild },
      ])
    ),
    stepGutter,
    lintGutter(),
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    bracketMatching(),
    highlightActiveLine(),
    syntaxHighlighting(highlight),
    // Deliberately no indentWithTab: Tab must leave the editor.
    keymap.of([...defaultKeymap, ...historyKeymap]),
    stepField,
    language.of(languageExtension(filename)),
    EditorState.tabSize.of(4),
    EditorView.contentAttributes.of(contentAttrs),
    // Long RUN lines wrap rather than scroll sideways: the whole step stays in view.
    EditorView.lineWrapping,
    EditorView.updateListener.of((update) => {
      if (update.docChanged && typeof opts.onChange === "function") {
        opts.onChange(update.state.doc.toString());
      }
    }),
    theme,
  ];

  const makeState = (doc) => EditorState.create({ doc: doc == null ? "" : String(doc), extensions: extensions() });

  const view = new EditorView({ state: makeState(opts.doc), parent });

  return {
    view,
    getText() {
      return view.state.doc.toString();
    },
    // Replaces document and language, and resets undo history, step marks
    // and diagnostics. Does not call onChange.
    setText(text, newFilename) {
      if (newFilename != null) filename = String(newFilename);
      view.setState(makeState(text));
    },
    setDiagnostics(list) {
      view.dispatch(lintSetDiagnostics(view.state, toDiagnostics(view.state.doc, list)));
    },
    markSteps(list) {
      view.dispatch({ effects: setStepsEffect.of(Array.isArray(list) ? list : []) });
    },
    clearMarks() {
      view.dispatch({ effects: setStepsEffect.of(null) });
    },
    focus() {
      view.focus();
    },
    scrollToLine(n) {
      const line = view.state.doc.line(clampLine(view.state.doc, n));
      view.dispatch({ effects: EditorView.scrollIntoView(line.from, { y: "center" }) });
    },
    language() {
      return languageName(filename);
    },
    destroy() {
      view.destroy();
    },
  };
}
