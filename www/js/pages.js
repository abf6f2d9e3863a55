// The app's pages, in the order of the nav: the one list that the header, the nav and the footer
// of every page are made from (js/chrome.js, run by main.js).
//   href     the page, relative to www/ (also its nav link; the page whose URL it is gets
//            aria-current="page")
//   title    its nav label
//   credits  the data sets its footer credits (keys of CREDITS, the engine's data-set names)
// Adding a page: its HTML (the <head> of the others, then <main>), its script in js/ (which
// imports main.js), and one entry here.
export const PAGES = [
  { href: './', title: 'Home', credits: ['mnist'] },
  { href: 'draw.html', title: 'Draw', credits: ['mnist'] },
  { href: 'train.html', title: 'Train', credits: ['mnist', 'fashion-mnist'] },
  { href: 'playground.html', title: 'Playground', credits: ['yin-yang'] },
  { href: 'tau.html', title: 'τ experiments', credits: ['mnist'] },
];

/** The footer's credit of each data set. */
export const CREDITS = {
  mnist: 'MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0)',
  'fashion-mnist': 'Fashion-MNIST by Han Xiao, Kashif Rasul and Roland Vollgraf, Zalando Research (MIT)',
  'yin-yang': 'Yin-Yang data set: L. Kriener, J. Göltz, M. A. Petrovici (2021)',
};
