// neo-blessed ships no types; it is a maintained fork of blessed with the same API.
declare module 'neo-blessed' {
  import blessed from 'blessed';
  export default blessed;
}
