"use strict";
// peitu 编辑台: library browser, article → prompts per template, template editor with live preview.

const TOKEN = document.querySelector('meta[name="peitu-token"]').content;
const $ = (id) => document.getElementById(id);
const ROLE = { cover: "封面", inline: "正文配图", marker: "作者指定" };
const state = { meta: null, offset: 0, query: null, template: null, dirty: false, previewSeq: 0 };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

async function api(method, url, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.headers["X-Peitu-Token"] = TOKEN;
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(url, opts);
  const data = await resp.json().catch(() => ({ error: `HTTP ${resp.status}` }));
  if (!resp.ok) throw Object.assign(new Error(data.error || `HTTP ${resp.status}`), { data });
  return data;
}

function status(text, kind = "") {
  const s = $("status");
  s.textContent = text;
  s.className = `status ${kind}`;
}

async function guarded(fn, busy) {
  if (busy) status(busy, "busy");
  try {
    const out = await fn();
    if (busy && $("status").textContent === busy) status("");   // keep a message set meanwhile
    return out;
  } catch (err) {
    status(err.message, "error");
    return undefined;
  }
}

// ---- tabs -----------------------------------------------------------------------------------

function hashParts() {
  // #tab/value — value may itself contain slashes (an article path)
  const hash = location.hash.slice(1);
  const cut = hash.indexOf("/");
  return cut < 0 ? [hash, ""] : [hash.slice(0, cut), decodeURIComponent(hash.slice(cut + 1))];
}

function showTab() {
  const tab = hashParts()[0];
  const name = tab === "image" || !tab ? "library" : tab;
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== `tab-${name}`;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.tab === name);
}

// ---- library --------------------------------------------------------------------------------

function typeLabel(id) {
  const t = state.meta && state.meta.types.find((x) => x.id === id);
  return t ? t.label : id;
}

function card(item) {
  return el("button", { class: "card", type: "button", "data-id": item.id, onclick: () => openDetail(item.id) },
    el("img", { src: item.thumb, alt: item.article_title, loading: "lazy" }),
    el("span", { class: "title" }, item.article_title || item.article_slug || `#${item.id}`),
    el("span", { class: "meta" }, `${ROLE[item.role] || item.role} · ${typeLabel(item.article_type)} · ${item.created_at.slice(0, 10)}`),
    el("span", { class: "tags" }, item.tags.slice(0, 6).map((t) => el("span", { class: "tag" }, t))));
}

async function search(more = false) {
  if (!more) {
    state.offset = 0;
    state.query = new URLSearchParams({ q: $("q").value, type: $("f-type").value,
                                        role: $("f-role").value, since: $("f-since").value });
  }
  const params = new URLSearchParams(state.query);
  params.set("offset", state.offset);
  const data = await guarded(() => api("GET", `/api/library?${params}`), "搜索中…");
  if (!data) return;
  const grid = $("grid");
  if (!more) grid.replaceChildren();
  grid.append(...data.items.map(card));
  state.offset += data.items.length;
  $("lib-count").textContent = data.total
    ? `共 ${data.total} 张图片` : "没有找到图片。先运行 peitu illustrate，或 peitu library import 导入已有输出。";
  $("more").hidden = state.offset >= data.total;
}

function field(label, ...value) {
  return [el("dt", {}, label), el("dd", {}, ...value)];
}

async function openDetail(id) {
  const d = await guarded(() => api("GET", `/api/library/${id}`), "读取中…");
  if (!d) return;
  const tags = el("div", { class: "tags editable" });
  const renderTags = (list) => tags.replaceChildren(...list.map((t) =>
    el("span", { class: "tag" }, t, el("button", { type: "button", class: "x", "aria-label": `删除标签 ${t}`,
      onclick: () => changeTags(id, [], [t], renderTags) }, "×"))));
  renderTags(d.tags);
  const add = el("input", { placeholder: "添加标签，回车确认", "aria-label": "添加标签" });
  add.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && add.value.trim()) {
      e.preventDefault();
      changeTags(id, add.value.split(/[,，、\s]+/).filter(Boolean), [], renderTags);
      add.value = "";
    }
  });
  const files = d.files.map((f) => el("a", { href: f.url, target: "_blank" }, `${f.name} ${f.width}×${f.height}`));
  const uploads = d.uploads.map((u) => `${u.account}: ${u.media_id || u.url}`);
  const regen = el("button", { type: "button", onclick: () => regenerateFromLibrary(id, regen) }, "重新生成一张");
  $("detail-body").replaceChildren(
    el("a", { href: d.image, target: "_blank" }, el("img", { class: "full", src: `${d.thumb}?w=480`, alt: d.article_title })),
    el("h2", {}, d.article_title || d.article_slug, el("small", {}, ` #${d.id}`)),
    el("dl", {},
      field("用途", `${ROLE[d.role] || d.role} (${d.plan_key}) · ${d.width}×${d.height}`),
      field("类型", typeLabel(d.article_type)),
      field("标签", tags, add),
      field("提示词", el("p", { class: "prompt" }, d.prompt || "—")),
      field("反向提示词", el("p", { class: "prompt" }, d.negative_prompt || "—")),
      field("模板", `${d.template} @ ${d.template_version} · 风格 ${d.style}`),
      field("来源", `${d.provider} / ${d.model} · seed ${d.seed}`),
      field("时间", `${d.created_at.replace("T", " ")} (${d.origin === "imported" ? "导入" : "生成"})`),
      field("可复用", d.reusable ? "是" : "否（含文章专属文字，或为导入的封面）"),
      field("文件", files.length ? files.map((f) => el("div", {}, f)) : "—"),
      field("用于", d.uses.map((u) => el("div", {}, `${u.article_slug} · ${u.plan_key}${u.reused ? "（复用）" : ""}`))),
      field("微信", uploads.length ? uploads.map((u) => el("div", {}, u)) : "未上传")),
    el("p", {}, regen));
  $("detail").showModal();
}

async function changeTags(id, add, remove, render) {
  const out = await guarded(() => api("POST", `/api/library/${id}/tags`, { add, remove }), "保存标签…");
  if (out) render(out.tags);
}

// Say what a regenerate did, including whether the article's output folder now shows the new image.
function regenerated(text, output) {
  if (!output) return status(text, "ok");
  if (output.updated) return status(`${text}，已替换 ${output.folder} 中的图片`, "ok");
  status(`${text}；${output.folder} 未更新：${output.note}`, "note");
}

async function regenerateFromLibrary(id, button) {
  button.disabled = true;
  const out = await guarded(() => api("POST", `/api/library/${id}/regenerate`, {}), "生成中，请稍候…");
  button.disabled = false;
  if (out) {
    regenerated(`已生成 #${out.id}（${out.provider}）`, out.output);
    openDetail(out.id);
    search();
  }
}

// ---- articles -------------------------------------------------------------------------------

function articleSource() {
  const text = $("article-text").value.trim();
  const path = $("article-path").value.trim() || $("article-pick").value;
  return text && $("article-text").closest("details").open ? { text } : { path };
}

function planBlock(plan, regenerate) {
  const where = plan.section ? `「${plan.section}」之后` : plan.role === "cover" ? "封面" : "";
  return el("div", { class: "plan" },
    el("div", { class: "plan-head" },
      el("strong", {}, plan.key), el("span", { class: "muted" }, ` ${where} · ${plan.width}×${plan.height}`),
      regenerate ? el("button", { type: "button", class: "small", onclick: (e) => regenerate(plan, e.target) }, "生成此图") : null),
    el("p", { class: "prompt" }, plan.prompt),
    el("p", { class: "prompt negative" }, "反向：", plan.negative_prompt),
    el("div", { class: "result" }));
}

async function showArticle(event) {
  if (event) event.preventDefault();
  const src = articleSource();
  if (!src.text && !src.path) return status("请选择、输入或粘贴一篇文章", "error");
  const style = $("article-style").value;
  const data = await guarded(() => api("POST", "/api/article", { ...src, style }), "分析文章…");
  if (!data) return;
  const a = data.article;
  $("article-info").replaceChildren(el("div", { class: "article-card" },
    el("h2", {}, a.title),
    el("p", {}, `类型：${a.type_label}（${a.type}）· ${a.length} 字 · ${a.sections} 节 · 风格：${data.style}`),
    el("p", { class: "tags" }, a.keywords.map((k) => el("span", { class: "tag" }, k)))));
  const regen = async (plan, button) => {
    button.disabled = true;
    const out = await guarded(() => api("POST", "/api/regenerate",
      { ...src, style, template: plan.template, key: plan.key }), `生成 ${plan.key}…`);
    button.disabled = false;
    if (!out) return;
    regenerated(`已生成并存入图库 #${out.id}`, out.output);
    button.closest(".plan").querySelector(".result").replaceChildren(
      el("button", { type: "button", class: "card small", onclick: () => openDetail(out.id) },
        el("img", { src: out.thumb, alt: plan.key }), el("span", { class: "meta" }, `#${out.id} · ${out.provider}`)));
  };
  $("article-plans").replaceChildren(...data.templates.map((t) => el("details",
    { class: `template-block${t.name === a.type ? " own" : ""}`, open: t.name === a.type },
    el("summary", {}, `${t.label}（${t.name}）`, t.name === a.type ? el("span", { class: "badge" }, "本文类型") : null,
      t.error ? el("span", { class: "badge error" }, "出错") : el("span", { class: "muted" }, ` ${t.plans.length} 张`)),
    t.error ? el("pre", { class: "error" }, t.error) : t.plans.map((p) => planBlock(p, regen)))));
}

// ---- templates ------------------------------------------------------------------------------

function renderGutter() {
  const n = $("source").value.split("\n").length;
  const gutter = $("gutter");
  if (gutter.childElementCount !== n) {
    gutter.replaceChildren(...Array.from({ length: n }, (_, i) => el("li", { "data-line": i + 1 })));
  }
  gutter.scrollTop = $("source").scrollTop;
}

function markLines(lines) {
  for (const li of $("gutter").children) li.classList.toggle("bad", lines.has(Number(li.dataset.line)));
}

function jumpTo(line) {
  const src = $("source");
  const lines = src.value.split("\n");
  const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
  src.focus();
  src.setSelectionRange(start, start + (lines[line - 1] || "").length);
  src.scrollTop = Math.max(0, (line - 4) * parseFloat(getComputedStyle(src).lineHeight));
  renderGutter();
}

async function loadTemplates() {
  const data = await guarded(() => api("GET", "/api/templates"));
  if (!data) return;
  $("template-list").replaceChildren(...data.templates.map((t) => el("li", {},
    el("a", { href: `#templates/${t.name}`, class: t.name === state.template ? "active" : "" }, `${t.label}`,
      el("span", { class: "muted" }, ` ${t.name}`)))));
}

async function openTemplate(name, source) {
  if (state.dirty && !confirm("当前模板有未保存的修改，放弃吗？")) return;
  const data = source !== undefined ? { name, source, path: `新模板 ${name}.j2` }
    : await guarded(() => api("GET", `/api/templates/${encodeURIComponent(name)}`), "读取模板…");
  if (!data) return;
  state.template = name;
  state.dirty = source !== undefined;
  $("template-name").textContent = name;
  $("template-path").textContent = data.path;
  $("source").disabled = false;
  $("source").value = data.source;
  renderGutter();
  loadTemplates();
  preview();
}

let previewTimer = null;
function schedulePreview() {
  state.dirty = true;
  renderGutter();
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 350);
}

async function preview() {
  if (!state.template) return;
  const seq = ++state.previewSeq;
  const body = { source: $("source").value, path: $("preview-article").value };
  const out = await guarded(() => api("POST", `/api/templates/${encodeURIComponent(state.template)}/preview`, body));
  if (!out || seq !== state.previewSeq) return;
  const bad = new Set(out.problems.filter((p) => p.line).map((p) => p.line));
  markLines(bad);
  const errors = out.problems.filter((p) => p.severity === "error");
  $("problems").replaceChildren(...out.problems.map((p) => el("div", { class: `problem ${p.severity}` },
    p.line ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); jumpTo(p.line); } }, `${p.where}`) : p.where,
    "：", p.message, p.hint ? el("div", { class: "muted" }, p.hint) : null)));
  $("save").disabled = errors.length > 0 || !state.dirty;
  $("save").title = errors.length ? "先修正错误再保存" : "";
  const plans = out.plans || [];
  $("preview-plans").replaceChildren(
    el("p", { class: "muted" }, errors.length ? `修正上面的错误后，这里显示「${out.article.title}」的提示词。`
      : `预览文章：${out.article.title}（${plans.length} 张）`),
    ...plans.map((p) => planBlock(p, null)));
}

async function save() {
  const out = await guarded(() => api("POST", `/api/templates/${encodeURIComponent(state.template)}`,
    { source: $("source").value }), "保存中…");
  if (!out) return;
  state.dirty = false;
  $("save").disabled = true;
  $("template-path").textContent = out.path;
  status(`已保存 ${out.path}`, "ok");
  loadTemplates();
}

// ---- start ----------------------------------------------------------------------------------

async function start() {
  window.addEventListener("hashchange", () => {
    showTab();
    const [tab, name] = hashParts();
    if (tab === "templates" && name && name !== state.template) openTemplate(name);
  });
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  $("more").addEventListener("click", () => search(true));
  $("article-form").addEventListener("submit", showArticle);
  $("article-pick").addEventListener("change", () => { $("article-path").value = ""; });
  $("source").addEventListener("input", schedulePreview);
  $("source").addEventListener("scroll", renderGutter);
  $("preview-article").addEventListener("change", preview);
  $("save").addEventListener("click", save);
  $("new-template").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("new-name").value.trim();
    if (name) openTemplate(name, state.meta.new_template);
  });
  state.meta = await guarded(() => api("GET", "/api/meta"));
  if (state.meta) {
    $("f-type").append(...state.meta.types.map((t) => el("option", { value: t.id }, t.label)));
    $("article-style").append(...state.meta.styles.map((s) => el("option", { value: s }, s)));
    const articles = state.meta.articles.map((a) => el("option", { value: a.path }, `${a.title} — ${a.path}`));
    $("article-pick").append(...articles);
    $("preview-article").append(...articles.map((o) => o.cloneNode(true)));
  }
  showTab();
  const [tab, value] = hashParts();
  if (tab === "templates" && value) openTemplate(value);
  if (tab === "article" && value) { $("article-path").value = value; showArticle(); }
  if (tab === "library" && value) $("q").value = value;
  if (tab === "image" && value) openDetail(Number(value));
  loadTemplates();
  search();
}

start();
