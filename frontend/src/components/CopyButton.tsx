import { useEffect, useState } from "react";

type CopyState = "idle" | "copied" | "failed";

/** Copies `text` to the clipboard; says whether it worked (the text stays selectable). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<CopyState>("idle");

  useEffect(() => {
    if (state === "idle") return;
    const timer = window.setTimeout(() => setState("idle"), 4000);
    return () => window.clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  }

  return (
    <span className="copy">
      <button type="button" className="secondary" aria-label={label} onClick={() => void copy()}>
        Copy
      </button>
      <span aria-live="polite" className={state === "failed" ? "error" : "muted"}>
        {state === "copied" && "Copied"}
        {state === "failed" && "Could not copy: select the text and copy it"}
      </span>
    </span>
  );
}
