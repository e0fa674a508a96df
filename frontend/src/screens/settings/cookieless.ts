// The settings screen's cookieless section: the three values of PostHog's
// `cookieless_server_hash_mode`, in the order the server numbers them.
import type { CookielessMode } from "../../lib/types";

export const COOKIELESS_MODES: readonly { value: CookielessMode; label: string; help: string }[] = [
  { value: 0, label: "Off", help: "Events sent in cookieless mode are dropped." },
  {
    value: 1,
    label: "Stateless",
    help: "One id and one session per visitor and day; identify is not accepted.",
  },
  {
    value: 2,
    label: "Stateful",
    help: "Sessions end after 30 idle minutes, and a visitor may identify (which undoes the privacy).",
  },
];
