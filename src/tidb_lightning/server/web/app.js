// The server-mode page: polls GET /tasks and /progress/task once a second and renders them.
// Plain DOM code, no libraries: the page works offline.
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("lightning-token") || "";

async function api(method, path, body) {
  const headers = {};
  if (token) headers["Authorization"] = "Bearer " + token;
  const resp = await fetch(path, { method, headers, body });
  if (resp.status === 401) { $("auth").hidden = false; throw new Error("a token is needed"); }
  const text = await resp.text();
  let data = null;
  try { data = JSON.parse(text); } catch (e) { data = text; }
  if (!resp.ok) {
    const err = new Error((data && data.error) || String(data) || resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function bar(done, total) {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 100;
  const el = document.createElement("div");
  el.className = "bar";
  el.innerHTML = `<div style="width:${pct.toFixed(1)}%"></div><span class="pct">${pct.toFixed(1)}%</span>`;
  return el;
}

function mb(n) {
  const units = [[1e9, "GB"], [1e6, "MB"], [1e3, "kB"]];
  for (const [size, unit] of units) if (n >= size) return (n / size).toFixed(1) + " " + unit;
  return n + " B";
}

function button(label, action, onClick) {
  const b = document.createElement("button");
  b.type = "button"; b.textContent = label; b.dataset.action = action;
  b.addEventListener("click", onClick);
  return b;
}

function act(method, path) {
  return () => api(method, path).then(refresh).catch((e) => showBanner(e.message));
}

function showBanner(msg) { $("banner").textContent = msg; $("banner").hidden = !msg; }

function renderTasks(list) {
  const ol = $("tasks");
  ol.replaceChildren();
  $("no-tasks").hidden = list.tasks.length > 0;
  for (const t of list.tasks) {
    const li = document.createElement("li");
    li.id = "task-" + t.id;
    li.dataset.state = t.state;
    const head = document.createElement("div");
    head.className = "task-head";
    head.innerHTML = `<span class="id">#${t.id}</span><span class="state ${t.state}">${t.state}</span>` +
      `<span class="source"></span><span class="rows">${t.rows} rows</span>`;
    head.querySelector(".source").textContent = t.source + " (" + t.backend + ")";
    const done = t.state === "completed" && t.z === 0 ? 1 : t.w;
    head.appendChild(bar(done, t.state === "completed" && t.z === 0 ? 1 : t.z));
    if (t.state === "queued") {
      head.appendChild(button("▲ front", "front", act("PATCH", `/tasks/${t.id}/front`)));
      head.appendChild(button("▼ back", "back", act("PATCH", `/tasks/${t.id}/back`)));
      head.appendChild(button("Remove", "delete", act("DELETE", `/tasks/${t.id}`)));
    } else if (t.state === "running") {
      head.appendChild(button("Stop", "delete", act("DELETE", `/tasks/${t.id}`)));
    }
    li.appendChild(head);
    if (t.error) {
      const pre = document.createElement("pre");
      pre.className = "error task-error";
      pre.textContent = t.error;
      li.appendChild(pre);
    }
    ol.appendChild(li);
  }
  const badge = $("queue-state");
  badge.textContent = list.paused ? "paused" : list.current !== null ? "running" : "idle";
  badge.className = "badge " + badge.textContent;
  $("paused-note").hidden = !list.paused;
}

function renderTables(progress, shownId) {
  $("shown-task").textContent = shownId === null ? "–" : "#" + shownId;
  const body = $("tables").tBodies[0];
  body.replaceChildren();
  for (const [name, t] of Object.entries(progress.t)) {
    const tr = document.createElement("tr");
    tr.dataset.table = name;
    tr.innerHTML = `<td class="name"></td><td></td><td>${mb(t.w)} / ${mb(t.z)}</td>` +
      `<td class="table-state"><span class="p"></span>${t.m ? ": " : ""}<span class="m"></span></td>`;
    tr.querySelector(".p").textContent = t.p || ["pending", "importing", "done"][t.s];
    tr.querySelector(".name").textContent = name;
    tr.querySelector(".m").textContent = t.m || "";
    tr.children[1].appendChild(bar(t.s === 2 && t.z === 0 ? 1 : t.w, t.s === 2 && t.z === 0 ? 1 : t.z));
    body.appendChild(tr);
  }
}

async function refreshSingle() {
  // not server mode: one import started from the command line; no queue to show or feed
  $("submit").hidden = true; $("tasks-section").hidden = true;
  const paused = (await api("GET", "/pause")).paused;
  const progress = await api("GET", "/progress/task");
  const badge = $("queue-state");
  badge.textContent = paused ? "paused" : progress.s === 2 ? "done" : "running";
  badge.className = "badge " + badge.textContent;
  $("paused-note").hidden = !paused;
  renderTables(progress, null);
  $("tables-title").textContent = "Tables of the import";
}

async function refresh() {
  try {
    let list;
    try {
      list = await api("GET", "/tasks");
    } catch (e) {
      if (e.status !== 501) throw e;
      await refreshSingle();
      showBanner("");
      return;
    }
    renderTasks(list);
    const progress = await api("GET", "/progress/task");
    const shown = list.current !== null ? list.current :
      (list.tasks.find((t) => t.state !== "queued" && t.started) || { id: null }).id;
    renderTables(progress, shown);
    showBanner("");
  } catch (e) {
    showBanner(e.message);
  }
}

$("task-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("submit-error").hidden = true; $("submit-ok").hidden = true;
  let text = $("task-toml").value;
  const file = $("task-file").files[0];
  if (file) text = await file.text();
  try {
    const res = await api("POST", "/tasks", text);
    $("submit-ok").textContent = "queued as task #" + res.id;
    $("submit-ok").hidden = false;
    $("task-toml").value = ""; $("task-file").value = "";
  } catch (e) {
    $("submit-error").textContent = e.message;
    $("submit-error").hidden = false;
  }
  refresh();
});
$("pause").addEventListener("click", act("PUT", "/pause"));
$("resume").addEventListener("click", act("PUT", "/resume"));
$("token-save").addEventListener("click", () => {
  token = $("token").value;
  sessionStorage.setItem("lightning-token", token);
  $("auth").hidden = true;
  refresh();
});
refresh();
setInterval(refresh, 1000);
