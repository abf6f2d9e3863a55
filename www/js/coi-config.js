// Options of coi-serviceworker (loaded right after this file, a classic script as it requires).
// On a host that sends no COOP/COEP headers, it installs a service worker that adds them and
// reloads the page once, so that the threaded engine can run. `?nocoi` turns it off.
window.coi = {
  shouldRegister: () => !new URLSearchParams(location.search).has('nocoi'),
  doReload: () => {
    window.__coiReloading = true; // main.js waits for this reload instead of starting single-threaded
    window.location.reload();
  },
  quiet: true, // main.js reports the outcome (engine badge, notice, console warning)
};
