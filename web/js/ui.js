// What both pages share: the language (with its switch) and the page frame.

import { html, useEffect, useState } from "../vendor/preact-htm.js";
import { currentLanguage, LANGUAGES, rememberLanguage, t } from "./i18n.js";

/** [lang, setLang]: Japanese first; the switch's choice lasts for this tab (sessionStorage). */
export function useLanguage(titleKey) {
  const [lang, setLang] = useState(currentLanguage);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t(lang, titleKey);
  }, [lang, titleKey]);
  const choose = (next) => {
    rememberLanguage(next);
    setLang(next);
  };
  return [lang, choose];
}

/**
 * The header: the service's name, the page's links (`links`: [{href, key}], e.g. my page) and the
 * switch to the other language.
 */
export function Header({ lang, onLanguage, links = [] }) {
  const other = LANGUAGES.find((l) => l !== lang);
  return html`
    <header class="container page-header">
      <a href="index.html" class="brand">${t(lang, "app.name")}</a>
      <span class="header-end">
        ${links.map((link) => html`<a href=${link.href} class="header-link">${t(lang, link.key)}</a>`)}
        <button type="button" class="secondary outline lang-switch" lang=${other}
          onClick=${() => onLanguage(other)}>${t(other, "lang.name")}</button>
      </span>
    </header>
  `;
}

/** The frame of a page: header, then the page's own content in <main>. */
export function Page({ lang, onLanguage, links, children }) {
  return html`
    <${Header} lang=${lang} onLanguage=${onLanguage} links=${links} />
    <main class="container page">${children}</main>
  `;
}
