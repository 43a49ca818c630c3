// Types next-intl's keys and locales from the English messages, so that a
// key the messages lack is a type error (docs/ARCHITECTURE.md, "Languages").
import type { Locale } from "../components/locales";
import type messages from "../../messages/en.json";

declare module "next-intl" {
  interface AppConfig {
    Locale: Locale;
    Messages: typeof messages;
  }
}
