// The chrome every app page shares, made from the page list (js/pages.js): the icon, the header
// (brand, nav with aria-current on the page's own link, the #engine-mode badge), the #notice line
// under it, and the footer with the page's data credits. main.js calls renderChrome() before it
// starts the engine. A page's HTML holds only its <head> (title, coi-serviceworker first, the
// stylesheet, its script with blocking="render", so that the browser paints the page with its
// header, not before) and its <main>.
import { CREDITS, PAGES } from './pages.js';

const LOGO = 'M1 16h5l2-14 2 14h4l2-10 2 10h6'; // a membrane potential that spikes twice
const logo = (strokeWidth, attrs = '') =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 26 20"${attrs}><path d="${LOGO}" fill="none" stroke="#2053c9" ` +
  `stroke-width="${strokeWidth}" stroke-linejoin="round" stroke-linecap="round"/></svg>`;

const path = (url) => url.pathname.replace(/\/index\.html$/, '/');

/** The entry of PAGES for `url` (default: this page), or undefined. */
export function currentPage(url = location.href) {
  const here = path(new URL(url));
  return PAGES.find((p) => path(new URL(p.href, url)) === here);
}

/** Adds the icon, header, notice and footer to this document (once). */
export function renderChrome(doc = document) {
  if (doc.querySelector('body > header.top')) return;
  const page = currentPage(doc.location.href);
  if (!doc.querySelector('link[rel=icon]')) {
    const icon = doc.createElement('link');
    icon.rel = 'icon';
    icon.href = `data:image/svg+xml,${encodeURIComponent(logo(2.4))}`;
    doc.head.append(icon);
  }
  const header = doc.createElement('header');
  header.className = 'top';
  header.innerHTML = `<a class="brand" href="./">${logo(2.2, ' width="26" height="20" aria-hidden="true"')}multispike</a>
    <nav aria-label="Pages"></nav>
    <span id="engine-mode" class="badge" title="engine mode">starting…</span>`;
  const nav = header.querySelector('nav');
  for (const p of PAGES) {
    const a = doc.createElement('a');
    a.href = p.href;
    a.textContent = p.title;
    if (p === page) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  const notice = doc.createElement('div');
  notice.id = 'notice';
  notice.setAttribute('role', 'status');
  notice.hidden = true;
  const footer = doc.createElement('footer');
  footer.textContent = [
    'multispike',
    'exact spike-timing backpropagation for multi-spike LIF networks (Yamamoto, Sakemi, Aihara)',
    ...(page?.credits ?? []).map((k) => CREDITS[k] ?? k),
    'everything runs in this page; nothing is uploaded.',
  ].join(' · ');
  doc.body.prepend(header, notice);
  doc.body.append(footer);
}
