// Checks public pages with the real tools: the Nu Html Checker (vnu.jar, the W3C validator's
// engine) for valid HTML, and axe-core in Debian's Chromium for WCAG 2 A/AA violations.
// Usage: node html_checks.mjs URL...   Prints a JSON report; exits 1 on any error or violation.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const urls = process.argv.slice(2);
if (urls.length === 0) {
  console.error("usage: node html_checks.mjs URL...");
  process.exit(2);
}

function vnuMessages(url) {
  const jar = require.resolve("vnu-jar/build/dist/vnu.jar");
  const result = spawnSync(
    "java",
    ["-jar", jar, "--format", "json", "--exit-zero-always", url],
    { encoding: "utf8" },
  );
  const text = (result.stdout || "") + (result.stderr || "");
  const start = text.indexOf("{");
  if (start < 0) throw new Error(`vnu gave no report for ${url}: ${text}`);
  return JSON.parse(text.slice(start)).messages.filter((m) => m.type === "error" || m.subType === "fatal");
}

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
// Herald's Content-Security-Policy forbids inline scripts, axe's injection included. A
// visitor in Berlin should see every time in their own zone once the page's script ran.
const context = await browser.newContext({ bypassCSP: true, timezoneId: "Europe/Berlin" });
const report = [];
let failed = false;
try {
  for (const url of urls) {
    const page = await context.newPage();
    const outside = [];
    page.on("request", (request) => {
      if (new URL(request.url()).origin !== new URL(url).origin) outside.push(request.url());
    });
    await page.goto(url, { waitUntil: "load" });
    const unlocalised = await page.$$eval("time[datetime]", (times) =>
      times.map((t) => t.textContent).filter((text) => text.endsWith("UTC")),
    );
    await page.addScriptTag({ content: axeSource });
    const runAxe = () => page.evaluate(async () =>
      await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
    );
    const axe = await runAxe();
    // A day's tooltip opens when the keyboard reaches a link in it.
    const hiddenTooltips = [];
    for (const link of await page.locator(".days a").all()) {
      await link.focus();
      const box = await link.locator("xpath=ancestor::span[@class='tip']").boundingBox();
      if (!box || box.width < 50 || box.height < 10) hiddenTooltips.push(await link.textContent());
    }
    // The same page for a reader whose system asks for a dark scheme.
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await runAxe();
    await page.close();
    const violations = [...axe.violations, ...dark.violations.map((v) => ({ ...v, id: `dark: ${v.id}` }))]
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.html).slice(0, 3) }));
    const errors = vnuMessages(url).map((m) => ({ line: m.lastLine, message: m.message, extract: m.extract }));
    if (violations.length || errors.length || outside.length || unlocalised.length || hiddenTooltips.length) failed = true;
    report.push({
      url, passes: axe.passes.length, violations, html_errors: errors, third_party_requests: outside,
      times_left_in_utc: unlocalised, tooltips_hidden_on_focus: hiddenTooltips,
    });
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
