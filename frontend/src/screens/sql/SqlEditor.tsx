// The SQL editor: CodeMirror 6 with HogQL highlighting and completion, Ctrl/Cmd+Enter runs.
//
// It lives in a shadow root: there CodeMirror puts its styles in a constructed stylesheet
// (adoptedStyleSheets) instead of a <style> element, which the server's
// Content-Security-Policy (style-src 'self') would refuse.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { EditorState, Prec } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { useEffect, useRef } from "react";

import type { SqlCatalog } from "./catalog";
import { hogqlLanguage } from "./hogql";
import { editorTheme } from "./editorTheme";

/** Text that replaces what the editor holds (the URL changed); `version` counts the
 * replacements, so the user's own typing is never echoed back into the editor. */
export interface EditorText {
  text: string;
  version: number;
}

interface Props {
  value: EditorText;
  onChange: (value: string) => void;
  onRun: () => void;
  catalog: SqlCatalog;
}

export function SqlEditor({ value, onChange, onRun, catalog }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The editor is built once; these refs let it call the latest props.
  const latest = useRef({ onChange, onRun, catalog });
  useEffect(() => {
    latest.current = { onChange, onRun, catalog };
  });

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
    const run = () => {
      latest.current.onRun();
      return true;
    };
    const editor = new EditorView({
      parent: root,
      state: EditorState.create({
        doc: value.text,
        extensions: [
          Prec.highest(keymap.of([{ key: "Mod-Enter", run }])),
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          closeBrackets(),
          autocompletion({ icons: false }),
          syntaxHighlighting(defaultHighlightStyle),
          hogqlLanguage(() => latest.current.catalog),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          placeholder("SELECT event, count() FROM events GROUP BY event"),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ "aria-label": "SQL query" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latest.current.onChange(update.state.doc.toString());
          }),
          editorTheme,
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Built once; `value` changes arrive through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const { text, version } = value;
  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== text) {
      editor.dispatch({ changes: { from: 0, to: current.length, insert: text } });
    }
    // Only a new version replaces the text; `text` alone changes with the user's typing.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  return <div className="sql-editor" ref={host} />;
}
