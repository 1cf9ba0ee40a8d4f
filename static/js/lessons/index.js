// The lesson index (/lessons): the page is rendered by the server in both languages; this switches
// which one shows and keeps the language in every lesson link.

import { bindLanguageToggle, getLanguage, setLanguage } from "../i18n.js";

const wantsChinese = () => /(^|[#&])lang=zh(&|$)/.test(location.hash);

function relink() {
  const zh = getLanguage() === "zh";
  for (const link of document.querySelectorAll("a[data-href]")) link.href = zh ? `${link.dataset.href}&lang=zh` : link.dataset.href;
  history.replaceState(null, "", zh ? "#lang=zh" : location.pathname);
}

setLanguage(wantsChinese() ? "zh" : "en");
bindLanguageToggle(document, relink);
relink();
