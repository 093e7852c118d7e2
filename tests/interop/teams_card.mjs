// Parses Teams Workflows webhook bodies with Microsoft's Adaptive Cards library and reports
// what its parser and validator found.
// Usage: node teams_card.mjs FILE, where FILE holds a list of webhook bodies.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { JSDOM } from "jsdom";

// The library logs to the console while rendering; only the report goes to stdout.
const print = console.log;
console.log = () => {};

const { window } = new JSDOM("<!doctype html><html><body></body></html>", { url: "https://teams.invalid/" });
// The renderer expects a browser: give it jsdom's window and DOM classes as globals.
globalThis.window = window;
for (const name of Object.getOwnPropertyNames(window)) {
  if (!(name in globalThis)) {
    try {
      globalThis[name] = window[name];
    } catch {
      // A getter jsdom does not support here; the renderer does not need it.
    }
  }
}
// The package's bundled build; its ES module build does not load in Node.
const AC = createRequire(import.meta.url)("adaptivecards/dist/adaptivecards.js");

function check(message) {
  if (message.type !== "message" || !Array.isArray(message.attachments)) {
    throw new Error("a Workflows webhook body is {type: message, attachments: [...]}");
  }
  const attachment = message.attachments[0];
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(attachment.content, context);
  const parseErrors = [];
  for (let i = 0; i < context.eventCount; i++) {
    parseErrors.push(context.getEventAt(i).message);
  }
  const validation = card.validateProperties();
  const failures = validation.validationEvents.map((e) => e.message);
  return {
    contentType: attachment.contentType,
    version: card.version.toString(),
    elements: card.getItemCount(),
    actions: card.getActionCount(),
    parseErrors,
    failures,
    rendered: card.render() !== undefined,
  };
}

const bodies = JSON.parse(readFileSync(process.argv[2], "utf8"));
print(JSON.stringify(bodies.map(check)));
