// The console's live parts: countdowns to the next update, and the preview, counters and
// lints of a form as it is typed. Everything else works without this script.
(function () {
  "use strict";
  const SOON_SECS = 120;

  function span(secs) {
    if (secs < 60) return secs + " s";
    if (secs < 3600) return Math.floor(secs / 60) + " min";
    return Math.floor(secs / 3600) + " h " + Math.floor((secs % 3600) / 60) + " min";
  }

  // How far the browser's clock is from the server's, which set the deadlines.
  const skew = (Date.parse(document.body.dataset.now) - Date.now()) || 0;

  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll("[data-due]").forEach(function (el) {
      const left = Math.round((Date.parse(el.dataset.due) - now) / 1000);
      const urgency = left < 0 ? "overdue" : left <= SOON_SECS ? "soon" : "ok";
      el.textContent = left < 0 ? "overdue by " + span(-left) : "due in " + span(left);
      el.className = "due due-" + urgency;
    });
  }

  function setText(root, selector, text) {
    const el = root.querySelector(selector);
    if (el) el.textContent = text;
  }

  function show(panel, form, result) {
    Object.entries((result && result.counters) || {}).forEach(function ([name, c]) {
      const el = form.querySelector('[data-counter="' + name + '"]');
      if (!el) return;
      el.textContent = c.length === null ? "no link" : String(c.length);
      el.classList.toggle("over", c.length !== null && c.length > c.limit);
    });
    const lints = panel.querySelector("[data-lints]");
    lints.replaceChildren();
    const problems = result.ok
      ? result.lints.map(function (l) { return (l.blocking ? "Blocks publishing: " : "") + l.message; })
      : Object.values(result.errors || {});
    problems.forEach(function (message) {
      const li = document.createElement("li");
      li.textContent = message;
      lints.appendChild(li);
    });
    if (!result.ok) return;
    setText(panel, "[data-next-due]", result.next_update_due
      ? "Next update due at " + result.next_update_due : "No further update due.");
    // Rendered and sanitised by Herald, as the public page shows it.
    panel.querySelector("[data-public]").innerHTML = result.public_html;
    const ch = result.channels || {};
    setText(panel, "[data-email-subject]", ch.email ? "Subject: " + ch.email.subject : "");
    setText(panel, "[data-email-text]", ch.email ? ch.email.text : "Not sent by email.");
    // Drawn by Herald from the messages it would send, every piece of text escaped.
    panel.querySelector("[data-slack]").innerHTML = ch.slack || "<p>Not sent to Slack.</p>";
    panel.querySelector("[data-teams]").innerHTML = ch.teams || "<p>Not sent to Teams.</p>";
    panel.querySelector("[data-social]").innerHTML = result.social_html;
  }

  function watch(form) {
    const panel = form.parentElement.querySelector("[data-preview]");
    if (!panel) return;
    let timer = null;
    let asked = 0;
    function ask() {
      const mine = ++asked;
      const body = new URLSearchParams(new FormData(form));
      fetch(form.dataset.previewUrl, {
        method: "POST",
        body: body,
        headers: { "x-csrf-token": body.get("_csrf") || "" },
        credentials: "same-origin",
      }).then(function (r) { return r.json(); }).then(function (result) {
        if (mine === asked) show(panel, form, result);
      }).catch(function () {});
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    ask();
  }

  // A template fills the details and the state in place; everything else typed stays. The
  // variables are filled as herald-core's template::fill does, an empty value left written
  // out for the blocking lint to point at.
  function useTemplates(form) {
    const picker = form.querySelector("[data-templates]");
    if (!picker) return;
    const button = picker.querySelector("[data-use-template]");
    // No longer a submit button: Enter in a field publishes, as on a form without a picker.
    button.type = "button";
    button.addEventListener("click", function () {
      const chosen = JSON.parse(picker.dataset.templates)[form.elements.template.value];
      if (!chosen) return;
      const field = function (name) {
        const el = form.elements[name];
        return el ? el.value.trim() : "";
      };
      const values = {
        issue_link: field("issue_link"),
        monitoring_minutes: field("monitoring_minutes") || "30",
        title: field("title") || picker.dataset.title,
      };
      form.elements.details.value = chosen.body.replace(/\{(issue_link|monitoring_minutes|title)\}/g,
        function (written, name) { return values[name] || written; });
      form.elements.state.value = chosen.state;
      form.dispatchEvent(new Event("input"));
      form.elements.details.focus();
    });
  }

  // While a broadcast is still going out, refresh its delivery report.
  function follow() {
    const report = document.querySelector("[data-report]");
    if (!report || !/still going out|queued|retrying/.test(report.textContent)) return;
    setTimeout(function () {
      fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); })
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-report]");
          if (fresh) report.replaceChildren(...fresh.childNodes);
          follow();
        }).catch(function () {});
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("form[data-preview-url]").forEach(watch);
    document.querySelectorAll("form[data-preview-url]").forEach(useTemplates);
    follow();
  });
})();
