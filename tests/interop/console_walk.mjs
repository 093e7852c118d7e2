// Walks a whole incident through the console in Debian's Chromium, as a lead would: sign in,
// open the new-incident form, watch the counters, lints and preview react to typing, publish,
// watch the countdown, edit the title and add the page's "Website" component without an
// update, read who the declaration went to (the page needs a subscriber), tick the checklist,
// post the monitoring update, resolve, add the post-mortem. After each step the public page
// is fetched and checked, and every console page is run through axe-core (WCAG 2 A/AA) at
// 1280 px and at a phone's 390 px, where it must also fit without sideways scrolling. With
// ADMIN_EMAIL (same password), an admin then opens every management page (pages, settings and
// cadence, components, subscribers, users, the checklist editor) and sends a refused form,
// and axe-core checks each of those too. The pages run under the console's
// Content-Security-Policy: anything it refuses fails the walk.
// The lead also schedules a maintenance window in a named zone (after a time that zone skips
// is refused beside its field) and reschedules it, and with SEARCH_WORDS finds a past incident
// titled FOUND_TITLE on the Incidents tab and opens it.
// Usage: node console_walk.mjs BASE_URL EMAIL PASSWORD PAGE_SLUG LOCATION_NAME [ADMIN_EMAIL]
//        [SEARCH_WORDS FOUND_TITLE]
// Prints a JSON report; exits 1 when a step fails or axe finds a violation.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [base, email, password, slug, location, adminEmail, searchWords, foundTitle] = process.argv.slice(2);
if (!location) {
  console.error("usage: node console_walk.mjs BASE_URL EMAIL PASSWORD PAGE_SLUG LOCATION_NAME");
  process.exit(2);
}
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const report = { steps: [], accessibility: [] };
let failed = false;

function check(step, ok, detail) {
  report.steps.push({ step, ok, detail });
  if (!ok) failed = true;
}

// A page that reports a Content-Security-Policy refusal fails the walk.
async function newPage() {
  const page = await (await browser.newContext({ viewport: { width: WIDTHS[0], height: 844 } })).newPage();
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) check("the page keeps to its policy", false, message.text());
  });
  return page;
}

// axe-core at the desktop width and at a phone's (390 px), where the page must also fit
// without sideways scrolling.
const WIDTHS = [1280, 390];

async function audit(page, name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 844 });
    // Evaluated through the DevTools protocol: the page's policy refuses inline scripts.
    await page.evaluate(axeSource);
    const axe = await page.evaluate(async () =>
      await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
    );
    const violations = axe.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.html).slice(0, 3) }));
    report.accessibility.push({ page: name, width, passes: axe.passes.length, violations });
    if (violations.length) failed = true;
    const wide = await page.evaluate(() => {
      const over = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1);
      return { scroll: document.documentElement.scrollWidth, view: window.innerWidth, over: over.slice(0, 3).map((el) => el.outerHTML.slice(0, 120)) };
    });
    check(`${name} fits ${width} px without sideways scrolling`, wide.scroll <= wide.view, wide);
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 844 });
}

async function publicHas(path, text) {
  for (let i = 0; i < 100; i++) {
    const body = await (await fetch(base + path)).text();
    if (body.includes(text)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function signIn(page, who) {
  await page.goto(base + "/console");
  await page.fill("#email", who);
  await page.fill("#password", password);
  await page.click('form[action="/console/sign-in"] button');
  await page.waitForURL(base + "/console");
}

// An admin's tour of the management pages, each audited; one form is refused on purpose so
// the page with errors beside the fields is audited as well.
async function manage(who) {
  const page = await newPage();
  await signIn(page, who);
  await page.click('nav a[href="/console/pages"]');
  await audit(page, "pages");
  await page.fill("#slug", "Not A Slug");
  await page.fill("#name", "Refused");
  await page.click("text=Create the page");
  await page.waitForSelector("#error-slug");
  check("a refused page keeps what was typed", (await page.inputValue("#slug")) === "Not A Slug", await page.textContent("#error-slug"));
  await audit(page, "pages, refused form");
  await page.goto(`${base}/console/pages/${slug}`);
  await page.fill("#cadence\\.sev1\\.investigating", "-1");
  await page.click("text=Save the cadence");
  await page.waitForSelector("#error-cadence\\.sev1\\.investigating");
  await audit(page, "settings and cadence, refused cell");
  await page.fill("#cadence\\.sev1\\.investigating", "12");
  await page.click("text=Save the cadence");
  await page.waitForURL(`${base}/console/pages/${slug}`);
  check("the cadence table saves", (await page.inputValue("#cadence\\.sev1\\.investigating")) === "12", page.url());
  await page.goto(`${base}/console/pages/${slug}/components`);
  await audit(page, "components");
  await page.click("table a");
  await page.waitForURL(/\/components\/[0-9a-f]+$/);
  await audit(page, "component");
  await page.goto(`${base}/console/pages/${slug}/subscribers`);
  await page.selectOption("#channel", "webhook");
  await page.fill("#address", "https://hooks.example.com/walk");
  await page.click("text=Add the subscriber");
  await page.waitForSelector(".notice");
  check("a new webhook's secret is shown", (await page.textContent(".notice")).includes("whsec_"), "");
  await audit(page, "subscribers, with a new secret");
  await page.click('nav a[href="/console/users"]');
  await audit(page, "users");
  await page.click("table a");
  await page.waitForURL(/\/console\/users\/[0-9a-f]+$/);
  await audit(page, "user");
  for (const list of ["templates", "checklist"]) {
    await page.goto(`${base}/console/pages/${slug}/${list}`);
    await audit(page, `${list} editor`);
  }
}

// Schedules a maintenance window in New York time, refused first for a time New York skips,
// then reschedules it; every page audited.
async function maintenance(page) {
  await page.goto(`${base}/console`);
  await page.click(`a[href="/console/pages/${slug}/maintenance"]`);
  await page.waitForURL(`${base}/console/pages/${slug}/maintenance`);
  await audit(page, "maintenance");
  await page.fill("#title", "Database upgrade");
  await page.fill("#starts_at", "2026-03-08T02:15");
  await page.fill("#ends_at", "2026-03-08T04:00");
  await page.fill("#time_zone", "America/New_York");
  await page.check(`form[action$="/maintenance"] label:has-text("${location}") input`);
  await page.fill("#details", "We will upgrade the database; writes pause for a minute.");
  await page.waitForFunction(() => document.querySelector("[data-lints]").textContent.includes("does not exist"));
  check("the preview says the time does not exist", true, "");
  await page.click("text=Schedule the window");
  await page.waitForSelector("#error-starts_at");
  const gap = await page.textContent("#error-starts_at");
  check("a time New York skips is refused beside the start", gap.includes("does not exist in America/New_York"), gap);
  check("the refused form keeps what was typed", (await page.inputValue("#title")) === "Database upgrade", "");
  await audit(page, "maintenance, refused time");
  await page.fill("#starts_at", "2025-06-20T22:00");
  await page.fill("#ends_at", "2025-06-21T00:00");
  await page.waitForFunction(() => document.querySelector("[data-public]").textContent.includes("writes pause"));
  await page.click("text=Schedule the window");
  await page.waitForURL(/\/maintenance\/[0-9a-f]+$/);
  const windowUrl = page.url();
  const planned = await page.textContent("table.planned");
  check("the window shows its start in UTC", planned.includes("2025-06-21 02:00 UTC"), planned);
  await audit(page, "maintenance window");
  await page.fill("#new_starts_at", "2025-06-22T22:00");
  await page.fill("#new_ends_at", "2025-06-23T00:00");
  await page.fill("#new_time_zone", "America/New_York");
  await page.click("text=Reschedule the window");
  await page.waitForURL(windowUrl);
  const moved = await page.textContent("table.planned");
  check("the rescheduled window shows its new start in UTC", moved.includes("2025-06-23 02:00 UTC"), moved);
  const timeline = await page.textContent(".timeline");
  check("the timeline says it was rescheduled", timeline.includes("Rescheduled"), timeline.slice(0, 200));
  await audit(page, "rescheduled maintenance window");
  await page.goto(`${base}/console`);
  check("the dashboard links the window", (await page.locator(`a[href="${new URL(windowUrl).pathname}"]`).count()) === 1, windowUrl);
}

// Finds a past incident by words of its updates on the Incidents tab, and opens it.
async function search(page) {
  await page.goto(`${base}/console`);
  await page.click(`a[href="/console/pages/${slug}/incidents"]`);
  await page.waitForURL(`${base}/console/pages/${slug}/incidents`);
  await page.fill("#q", searchWords);
  await page.click("text=Find incidents");
  await page.waitForURL(/\/incidents\?q=/);
  const found = await page.locator("ol.results > li").allTextContents();
  check("the search finds the past incident, and only it", found.length === 1 && found[0].includes(foundTitle), found);
  await audit(page, "incidents search");
  await page.click(`ol.results a:has-text("${foundTitle}")`);
  await page.waitForURL(/\/incidents\/[0-9a-f]+$/);
  check("the result opens its incident", (await page.textContent("h1")) === foundTitle, page.url());
}

try {
  const page = await newPage();
  const policy = (await page.goto(base + "/console")).headers()["content-security-policy"] || "";
  check("the console is served with its policy", policy.includes("script-src 'self'"), policy);
  check("an anonymous visit lands on the sign-in form", page.url().includes("/console/sign-in"), page.url());
  await audit(page, "sign-in");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click('form[action="/console/sign-in"] button');
  await page.waitForURL(base + "/console");
  check("signed in to the dashboard", (await page.textContent("h1")) === "Dashboard", page.url());
  await audit(page, "dashboard");

  await page.click(`a[href="/console/pages/${slug}/incidents/new"]`);
  await page.waitForFunction(() => document.querySelector("[data-lints]").childElementCount > 0);
  const onLoad = await page.textContent("[data-lints]");
  check("the preview runs as soon as the form opens", onLoad.length > 0, onLoad);
  await page.fill("#title", "Elevated API errors");
  await page.fill("#incident_issue_link", "https://issues.example.com/1");
  await page.selectOption("#template", { label: "First update: elevated errors" });
  await page.click("text=Use this template");
  const fromTemplate = await page.inputValue("#details");
  check("the template fills in the issue link", fromTemplate.includes("investigation is underway in: https://issues.example.com/1"), fromTemplate);
  check("choosing a template keeps what was typed", (await page.inputValue("#title")) === "Elevated API errors" && page.url().endsWith("/incidents/new"), page.url());
  await page.check(`label:has-text("${location}") input`);
  const long = "x".repeat(230) + " https://issues.example.com/1";
  await page.fill("#details", long);
  await page.waitForFunction(() => document.querySelector('[data-counter="before_link"]').textContent === "231");
  const counted = await page.textContent('[data-counter="social"]');
  check("the social counter counts the link as 23", counted === String(231 + 23), counted);
  const lints = await page.textContent("[data-lints]");
  check("the link-late lint shows while typing", lints.includes("before the final link"), lints);
  await page.fill("#details", fromTemplate);
  await page.waitForFunction(() => document.querySelector("[data-public]").textContent.includes("elevated error rates"));
  const slack = await page.textContent("[data-slack]");
  check("the Slack preview shows the update", slack.includes("Elevated API errors"), slack.slice(0, 200));
  await audit(page, "new incident");
  await page.click("text=Publish incident");
  await page.waitForURL(/\/incidents\/[0-9a-f]+$/);
  const incidentUrl = page.url();
  const id = incidentUrl.split("/").pop();
  check("the public page shows the new incident", await publicHas("/", "elevated error rates, investigation is underway"), id);
  const countdown = await page.textContent(".due");
  check("the countdown to the next update runs", /due in (14|15) min/.test(countdown), countdown);
  await audit(page, "incident");

  // Edit without an update: a new title, and the Website component added whole at its level.
  const website = 'form[action$="/edit"] fieldset.component:has(legend:text-is("Website"))';
  await page.fill("#edit_title", "Elevated API and website errors");
  await page.check(`${website} input[name="whole"]`);
  await page.selectOption(`${website} select`, "degraded_performance");
  await page.click("text=Save changes");
  await page.waitForURL(incidentUrl);
  const affected = await page.textContent("ul.affected");
  const updates = await page.locator(".timeline li").count();
  check("the edit adds the component at its level, without an update", affected.includes("Website: Degraded Performance") && updates === 1, `${affected} · ${updates} updates`);
  check("the public page shows the edited title", await publicHas("/", "Elevated API and website errors"), id);
  await audit(page, "incident, edited");

  // Who the declaration went to: its recipients, from the timeline.
  await page.click('.timeline a[href$="/recipients"]');
  await page.waitForURL(/\/recipients$/);
  let reached = false;
  for (let i = 0; i < 50 && !reached; i++) {
    reached = (await page.locator("table.recipients tbody tr").count()) > 0;
    if (!reached) { await new Promise((r) => setTimeout(r, 100)); await page.reload(); }
  }
  const recipient = reached ? await page.textContent("table.recipients tbody tr") : "";
  check("the recipients of the update are listed with their outcome", recipient.includes("Delivered"), recipient);
  await audit(page, "recipients");
  await page.goto(incidentUrl);

  // Engage: the lead ticks off acknowledging the page; creating the incident ticked itself.
  await page.click('button.tick:has-text("Acknowledge the page")');
  await page.waitForURL(/#checklist$/);
  const acknowledged = await page.getAttribute('button.tick:has-text("Acknowledge the page")', "aria-pressed");
  const engage = await page.textContent('.checklist h3:has-text("Engage")');
  check("the checklist keeps the lead's tick and Herald's", acknowledged === "true" && engage.includes("2 of 5 done"), engage);

  // The monitoring update from its template (duration and link filled in), then the resolution.
  await page.selectOption("#template", { label: "Monitoring" });
  await page.fill("#issue_link", "https://issues.example.com/1");
  await page.fill("#monitoring_minutes", "45");
  await page.click("text=Use this template");
  const monitoring = await page.inputValue("#details");
  check("the monitoring template says how long", monitoring.includes("monitor for 45 minutes") && (await page.inputValue("#state")) === "monitoring", monitoring);
  for (const [state, details] of [
    ["monitoring", monitoring],
    ["resolved", "This incident is resolved; the API is operating normally."],
  ]) {
    await page.selectOption("#state", state);
    await page.fill("#details", details);
    await page.click("text=Publish update");
    await page.waitForURL(incidentUrl);
    const shownOnPublic = await publicHas(`/incidents/${id}/`, details.slice(0, 40));
    check(`the public page shows the ${state} update`, shownOnPublic, details);
  }
  await page.fill("#postmortem_url", "https://issues.example.com/postmortem/1");
  await page.click("text=Add the post-mortem");
  await page.waitForURL(incidentUrl);
  check("the public page links the post-mortem", await publicHas(`/incidents/${id}/`, "Read the post-mortem"), id);
  await audit(page, "resolved incident");
  await maintenance(page);
  if (searchWords) await search(page);
  if (adminEmail) await manage(adminEmail);
} catch (error) {
  check("the walk finished", false, String(error));
} finally {
  await browser.close();
}
console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
