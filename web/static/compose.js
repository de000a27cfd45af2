// Live policy answer on the compose and revise pages: asks /api/v1/check as the author
// types; Submit is disabled while the answer is Denied. The kind follows what the chosen
// channel allows. Builds the answer with DOM nodes and textContent only, never HTML strings.
(function () {
  "use strict";
  const form = document.querySelector("form[data-check-url]");
  if (!form) return;
  const submit = form.querySelector('button[type="submit"]');
  const answerStatus = document.getElementById("answer-status");
  const answerBody = document.getElementById("answer-body");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  let timer = null;
  let sequence = 0;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  // Span offsets count Unicode code points, as Python does.
  function highlighted(text, topics) {
    const chars = Array.from(text);
    const owners = chars.map(() => []);
    topics.forEach((t) => t.spans.forEach((s) => {
      for (let i = Math.max(0, s.start); i < Math.min(chars.length, s.end); i++) owners[i].push(t.id);
    }));
    const quote = el("blockquote", undefined, "post-text");
    quote.id = "answer-text";
    let i = 0;
    while (i < chars.length) {
      const key = owners[i].join(" ");
      let j = i;
      while (j < chars.length && owners[j].join(" ") === key) j++;
      const piece = chars.slice(i, j).join("");
      if (key) {
        const mark = el("mark", piece);
        mark.title = owners[i].join(", ");
        quote.appendChild(mark);
      } else {
        quote.appendChild(document.createTextNode(piece));
      }
      i = j;
    }
    return quote;
  }

  function list(items, render, id) {
    const ul = el("ul");
    ul.id = id;
    items.forEach((item) => ul.appendChild(render(item)));
    return ul;
  }

  function show(d, text) {
    answerBody.replaceChildren();
    const labels = { approved: "Approved", needs_signoff: "Needs sign-off", denied: "Denied" };
    answerStatus.replaceChildren(el("span", labels[d.decision] || d.decision, "status " + d.decision));
    answerStatus.className = "";
    answerStatus.dataset.decision = d.decision;
    submit.disabled = d.decision === "denied";
    submit.title = submit.disabled ? "The policy denies this post: change it first." : "";
    if (d.topics.length) answerBody.appendChild(highlighted(text, d.topics));
    if (d.topics.length) {
      answerBody.appendChild(el("h3", "Matched topics"));
      answerBody.appendChild(list(d.topics, (t) => el("li", t.id + ": " +
        t.spans.map((s) => "“" + s.text + "”").join(", ")), "answer-topics"));
    }
    if (d.requirements.length) {
      answerBody.appendChild(el("h3", "Who must sign off"));
      answerBody.appendChild(list(d.requirements, (q) => el("li", q.id + ": " + q.approvals +
        " approval" + (q.approvals === 1 ? "" : "s") + " from " + q.signoff.join(", ")), "answer-requirements"));
    }
    if (d.hints && d.hints.length && d.decision !== "approved") {
      answerBody.appendChild(el("h3", "To get approved"));
      answerBody.appendChild(list(d.hints, (h) => el("li", h), "answer-hints"));
    }
    const reasons = d.reasons.concat(d.warnings || []);
    if (reasons.length) {
      answerBody.appendChild(el("h3", "Why"));
      answerBody.appendChild(list(reasons, (r) => {
        const li = el("li", undefined, "effect-" + r.effect);
        li.appendChild(el("code", r.id));
        li.appendChild(document.createTextNode(" " + r.message));
        return li;
      }, "answer-reasons"));
    }
  }

  // A reply to an inbound message is checked as submitting it would be: against
  // earlier replies to the same sender too.
  function request(channel, text) {
    const body = { channel: channel, kind: form.elements.kind.value, text: text };
    const replyTo = form.elements.in_reply_to;
    if (replyTo && replyTo.value) body.in_reply_to = Number(replyTo.value);
    return body;
  }

  async function check() {
    const channel = form.elements.channel.value;
    const text = form.elements.text.value;
    if (!channel || !text.trim()) return;
    const mine = ++sequence;
    try {
      const response = await fetch(form.dataset.checkUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(request(channel, text)),
      });
      const data = await response.json();
      if (mine !== sequence) return;
      if (!response.ok) {
        submit.disabled = false;
        answerStatus.textContent = data.error || "The policy could not be checked.";
        answerBody.replaceChildren();
        return;
      }
      show(data, text);
    } catch (err) {
      if (mine === sequence) answerStatus.textContent = "The policy could not be checked.";
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  // The kind defaults to one the chosen channel allows this author.
  function followChannel() {
    const channel = form.elements.channel;
    const kind = form.elements.kind;
    if (!channel || channel.tagName !== "SELECT" || !kind || kind.tagName !== "SELECT") return;
    const option = channel.options[channel.selectedIndex];
    const allowed = ((option && option.dataset.kinds) || "").split(" ").filter(Boolean);
    if (allowed.length && allowed.indexOf(kind.value) < 0) kind.value = allowed[0];
  }

  // No publish time in the past: the picker starts at now (in the viewer's zone).
  const publishAt = form.elements.publish_at;
  if (publishAt) {
    const now = new Date();
    now.setSeconds(0, 0);
    const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
    publishAt.min = local.toISOString().slice(0, 16);
  }

  if (form.elements.channel && form.elements.channel.tagName === "SELECT") {
    form.elements.channel.addEventListener("change", followChannel);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  followChannel();
  check();
})();
