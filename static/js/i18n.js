// Every UI string, in English and Simplified Chinese. t(key, args) looks one up; elements carrying
// data-i18n* attributes are re-translated live when the language changes. The network lab's and the
// init experiment's strings live in ./strings/ and are merged into the one table here.

import CURVATURE_STRINGS from "./strings/curvature.js";
import CUSTOM_STRINGS from "./strings/custom.js";
import FOLLOW_STRINGS from "./strings/follow.js";
import INIT_STRINGS from "./strings/init.js";
import LESSON_STRINGS from "./strings/lessons.js";
import MODEL_STRINGS from "./strings/models.js";
import NETWORK_STRINGS from "./strings/network.js";
import SWEEP_STRINGS from "./strings/sweep.js";

const STRINGS = {
  en: {
    "app.name": "DescentLab",
    "app.tagline": "See optimization in deep learning",
    "nav.main": "Main",
    "nav.skip": "Skip to content",
    "nav.surface": "Surface lab",
    "lang.label": "Language",
    "page.surface.title": "Surface lab · DescentLab",
    "surface.heading": "Optimizers racing on a loss surface",
    "surface.intro": "Drag a learning-rate slider; click the map to move the start.",
    "panel.surface": "Surface",
    "panel.runs": "Runs",
    "label.surface": "Surface",
    "label.steps": "Steps",
    "label.noise": "Gradient noise σ",
    "label.seed": "Noise seed",
    "label.start": "Start",
    "label.optimizer": "Optimizer",
    "label.schedule": "Learning-rate schedule",
    "label.clip": "Gradient clipping",
    "label.threshold": "Clip threshold",
    "label.boundaries": "Boundaries (steps, comma-separated)",
    "label.values": "Rates (one more than boundaries)",
    "label.color": "Colour",
    "start.value": "({x}, {y})",
    "btn.resetStart": "Reset start",
    "btn.addRun": "Add run",
    "btn.remove": "Remove",
    "btn.removeRun": "Remove run {n}",
    "runs.max": "At most {n} runs.",
    "run.title": "Run {n}",
    "run.more": "Schedule and clipping",
    "run.rule": "Update rule of {name}",
    "run.noSchedule": "Adapts its own step sizes: no schedule.",
    "run.rateFromSchedule": "Set by the piecewise schedule's rates below.",
    "clip.none": "None",
    "clip.value": "by value",
    "clip.norm": "by norm",
    "status.pending": "computing…",
    "status.ok": "ok · final loss {loss}",
    "status.diverged": "diverged at step {step}: {reason}",
    "reason.nan": "the loss, the point or the gradient became NaN or infinite",
    "reason.range": "the point left the region |x|, |y| ≤ 1e6",
    "player.label": "Timeline",
    "player.play": "Play",
    "player.pause": "Pause",
    "player.stepBack": "Step back",
    "player.stepForward": "Step forward",
    "player.scrub": "Step",
    "player.speed": "Speed",
    "player.speedValue": "{n} steps/s",
    "player.cursor": "step {k} / {n}",
    "player.keys": "Space: play/pause · ←/→: step",
    "chart.contour": "Loss surface and paths",
    "chart.contourHint": "Click the map, or drag the start ring, to move the start.",
    "chart.loss": "Loss vs step",
    "chart.grad": "Gradient norm vs step",
    "axis.step": "step",
    "axis.loss": "loss",
    "axis.lossLog": "loss (log scale)",
    "axis.grad": "‖∇f‖",
    "axis.gradLog": "‖∇f‖ (log scale)",
    "legend.minimum": "minimum",
    "legend.start": "start",
    "legend.finalLoss": "final loss",
    "legend.finalLossValue": "final loss {loss}",
    "legend.runs": "Runs and how they ended",
    "legend.divergedAt": "diverged at step {step}",
    "hover.step": "step {k}",
    "about.heading": "About this surface",
    "about.domain": "Domain",
    "about.minima": "Known minima",
    "about.noMinima": "none: unbounded below",
    "banner.error": "The server refused a change: {message}",
    "banner.connecting": "Connecting to the server…",
    "banner.preparing": "Preparing this network… {seconds} s. The server compiles each size of network once; after that, changing depth or width starts at once.",
    "banner.reconnecting": "Connection lost. Reconnecting…",
    "banner.loadFailed": "Could not load the page data: {message}",
    "banner.dismiss": "Dismiss",
    "banner.badLink": "Parts of the link could not be read: {message}",
    "schedule.invalid": "Give numbers: increasing boundaries and one more rate.",
  },
  zh: {
    "app.name": "DescentLab",
    "app.tagline": "看见深度学习中的优化",
    "nav.main": "主导航",
    "nav.skip": "跳到正文",
    "nav.surface": "曲面实验室",
    "lang.label": "语言",
    "page.surface.title": "曲面实验室 · DescentLab",
    "surface.heading": "优化器在损失曲面上赛跑",
    "surface.intro": "拖动学习率滑块；点击等高线图移动起点。",
    "panel.surface": "曲面",
    "panel.runs": "运行",
    "label.surface": "曲面",
    "label.steps": "步数",
    "label.noise": "梯度噪声 σ",
    "label.seed": "噪声种子",
    "label.start": "起点",
    "label.optimizer": "优化器",
    "label.schedule": "学习率调度",
    "label.clip": "梯度裁剪",
    "label.threshold": "裁剪阈值",
    "label.boundaries": "分段边界（步数，逗号分隔）",
    "label.values": "学习率（比边界多一个）",
    "label.color": "颜色",
    "start.value": "({x}, {y})",
    "btn.resetStart": "重置起点",
    "btn.addRun": "添加运行",
    "btn.remove": "删除",
    "btn.removeRun": "删除运行 {n}",
    "runs.max": "最多 {n} 个运行。",
    "run.title": "运行 {n}",
    "run.more": "调度与裁剪",
    "run.rule": "{name} 的更新规则",
    "run.noSchedule": "自行调节步长：不使用调度。",
    "run.rateFromSchedule": "由下方分段调度的学习率决定。",
    "clip.none": "不裁剪",
    "clip.value": "按值",
    "clip.norm": "按范数",
    "status.pending": "计算中…",
    "status.ok": "正常 · 最终损失 {loss}",
    "status.diverged": "在第 {step} 步发散：{reason}",
    "reason.nan": "损失、位置或梯度变成了 NaN 或无穷大",
    "reason.range": "位置离开了区域 |x|, |y| ≤ 1e6",
    "player.label": "时间轴",
    "player.play": "播放",
    "player.pause": "暂停",
    "player.stepBack": "后退一步",
    "player.stepForward": "前进一步",
    "player.scrub": "步",
    "player.speed": "速度",
    "player.speedValue": "每秒 {n} 步",
    "player.cursor": "第 {k} / {n} 步",
    "player.keys": "空格：播放/暂停 · ←/→：单步",
    "chart.contour": "损失曲面与路径",
    "chart.contourHint": "点击图中任意位置，或拖动起点圆环，来移动起点。",
    "chart.loss": "损失随步数的变化",
    "chart.grad": "梯度范数随步数的变化",
    "axis.step": "步数",
    "axis.loss": "损失",
    "axis.lossLog": "损失（对数坐标）",
    "axis.grad": "‖∇f‖",
    "axis.gradLog": "‖∇f‖（对数坐标）",
    "legend.minimum": "极小值",
    "legend.start": "起点",
    "legend.finalLoss": "最终损失",
    "legend.finalLossValue": "最终损失 {loss}",
    "legend.runs": "各运行及其结果",
    "legend.divergedAt": "在第 {step} 步发散",
    "hover.step": "第 {k} 步",
    "about.heading": "关于这个曲面",
    "about.domain": "定义域",
    "about.minima": "已知极小值",
    "about.noMinima": "无：向下无界",
    "banner.error": "服务器拒绝了这次修改：{message}",
    "banner.connecting": "正在连接服务器…",
    "banner.preparing": "正在准备这个网络…… {seconds} 秒。服务器对每种规模的网络只编译一次，之后改变层数或宽度都会立即开始。",
    "banner.reconnecting": "连接已断开，正在重新连接…",
    "banner.loadFailed": "无法加载页面数据：{message}",
    "banner.dismiss": "关闭",
    "banner.badLink": "链接中有部分内容无法读取：{message}",
    "schedule.invalid": "请输入数字：边界递增，学习率比边界多一个。",
    // Catalog texts (English comes from the catalog itself).
    "surface.quadratic": "病态二次函数",
    "surface.saddle": "鞍点",
    "surface.monkey_saddle": "猴鞍",
    "surface.cliff": "悬崖",
    "surface.plateau": "渐近线与山丘",
    "surface.quadratic.description": "一条狭长的山谷：条件数 κ 是两个方向曲率之比。",
    "surface.rosenbrock.description": "弯曲的香蕉形山谷：容易进入，却要很久才能沿谷底走到 (1, 1) 处的极小值。",
    "surface.beale.description": "平坦的高原与陡峭的山脊，环绕着 (3, 0.5) 处唯一的极小值。",
    "surface.himmelblau.description": "四个同样深的极小值：从哪里出发决定了停在哪里。",
    "surface.saddle.description": "原点处是鞍点；沿 y 方向损失向下无界。",
    "surface.monkey_saddle.description": "退化鞍点（原点处 Hessian 为零），有三条向下的山谷。",
    "surface.rastrigin.description": "布满局部极小值的碗：普通下降会停在最近的小坑里。",
    "surface.cliff.description": "平缓的台地尽头是一道悬崖：不裁剪时，落在崖壁上的一步会被甩得很远；梯度裁剪能让它留在附近。",
    "surface.plateau.description": "从左侧下降会一直滑向渐近线；更深的盆地在山丘的另一边。",
    "sp.kappa": "条件数 κ",
    "sp.theta": "旋转角 θ（弧度）",
    "hp.learning_rate": "学习率 ε",
    "hp.momentum": "动量 α",
    "hp.eps": "稳定项 δ",
    "hp.decay": "衰减率 ρ",
    "hp.rho": "衰减率 ρ",
    "hp.b1": "一阶矩衰减 ρ₁",
    "hp.b2": "二阶矩衰减 ρ₂",
    "hp.kappa": "学习率增量 κ",
    "hp.phi": "学习率衰减 φ",
    "hp.theta": "平均系数 θ",
    "schedule.constant": "常数",
    "schedule.power": "幂次衰减",
    "schedule.exponential": "指数衰减",
    "schedule.piecewise": "分段常数",
    "schedule.step": "阶梯衰减",
    "schedule.linear": "线性衰减",
    "schedule.plateau": "平台期衰减",
    "sched.decay_rate": "衰减率 r",
    "sched.decay_steps": "步数 s",
    "sched.every": "每 n 步",
    "sched.factor": "系数 f",
    "sched.patience": "耐心 p",
    "sched.tau": "衰减步数 τ",
    "sched.final": "第 τ 步起的学习率",
    "sched.k": "步数尺度 k",
    "sched.c": "幂次 c",
    "optimizer.newton": "牛顿法",
    // Plotly's own chart buttons and tips (registered as a Plotly locale).
    "plotly:Download plot as a PNG": "下载为 PNG 图片",
    "plotly:Zoom": "框选缩放",
    "plotly:Pan": "平移",
    "plotly:Zoom in": "放大",
    "plotly:Zoom out": "缩小",
    "plotly:Reset axes": "重置坐标轴",
    "plotly:Autoscale": "自动缩放",
    "plotly:Double-click to zoom back out": "双击恢复原始范围",
    "plotly:Taking snapshot - this may take a few seconds": "正在生成截图…",
    "plotly:Snapshot succeeded": "截图已完成",
  },
};

for (const table of [MODEL_STRINGS, INIT_STRINGS, NETWORK_STRINGS, LESSON_STRINGS, FOLLOW_STRINGS, SWEEP_STRINGS, CURVATURE_STRINGS, CUSTOM_STRINGS]) {
  for (const lang of Object.keys(STRINGS)) Object.assign(STRINGS[lang], table[lang]);
}

export const LANGUAGES = ["en", "zh"];
let current = "en";
const listeners = new Set();

function interpolate(text, args) {
  if (!args) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in args)) return m;
    const value = args[name];
    // {key: "..."} is itself translated, so stored arguments follow language changes too.
    return value && typeof value === "object" ? t(value.key, value.args) : String(value);
  });
}

/** The string for `key` in the current language (English, then the key itself, as fallbacks). */
export function t(key, args) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return interpolate(text, args);
}

/**
 * A catalog text: the Chinese entry for `key` when showing Chinese and one exists, else the catalog's
 * own (English) `fallback`.
 */
export function catalogText(key, fallback) {
  return (current !== "en" && STRINGS[current][key]) || fallback;
}

/** Plotly's locale for the current language: {name, dictionary} from the "plotly:" entries. */
export function plotlyLocale() {
  if (current === "en") return { name: "en", dictionary: {} };
  const prefix = "plotly:";
  const dictionary = Object.fromEntries(
    Object.entries(STRINGS[current]).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
  );
  return { name: current === "zh" ? "zh-CN" : current, dictionary };
}

export function getLanguage() {
  return current;
}

/** Switch language live: re-translate every tagged element and tell listeners. */
export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
  document.documentElement.lang = current === "zh" ? "zh-Hans" : "en";
  translateTree(document);
  for (const fn of listeners) fn(current);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function args(node, attr) {
  const raw = node.getAttribute(attr);
  return raw ? JSON.parse(raw) : undefined;
}

/** Translate elements under `root` tagged with data-i18n (text), data-i18n-title, -aria-label. */
export function translateTree(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    const { i18n: key, i18nFallback: fallback } = node.dataset;
    node.textContent = fallback !== undefined ? catalogText(key, fallback) : t(key, args(node, "data-i18n-args"));
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) {
    node.title = t(node.dataset.i18nTitle, args(node, "data-i18n-args"));
  }
  for (const node of root.querySelectorAll("[data-i18n-aria-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel, args(node, "data-i18n-args")));
  }
  if (root === document && document.body?.dataset.titleKey) document.title = t(document.body.dataset.titleKey);
}

/** Set a node's text from a key (and keep it translated on language changes). */
export function setText(node, key, values) {
  node.dataset.i18n = key;
  delete node.dataset.i18nFallback;
  if (values) node.setAttribute("data-i18n-args", JSON.stringify(values));
  else node.removeAttribute("data-i18n-args");
  node.textContent = t(key, values);
  return node;
}

/** Show a catalog text (translated when a translation exists), kept live on language changes. */
export function setCatalogText(node, key, fallback) {
  node.dataset.i18n = key;
  node.dataset.i18nFallback = fallback;
  node.textContent = catalogText(key, fallback);
  return node;
}

/** Wire the header's language buttons (data-lang="en" / "zh"); `onChange(lang)` after switching. */
export function bindLanguageToggle(root, onChange) {
  const buttons = [...root.querySelectorAll("[data-lang]")];
  const sync = () => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === current)));
  for (const button of buttons) {
    button.addEventListener("click", () => {
      setLanguage(button.dataset.lang);
      onChange?.(current);
    });
  }
  onLanguageChange(sync);
  sync();
}
