// xhr2 ships no types; the tests only assign its constructor to globalThis.XMLHttpRequest.
declare module 'xhr2';
