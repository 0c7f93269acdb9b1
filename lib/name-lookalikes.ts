// Our own table of look-alike characters for name skeletons (the idea of Unicode UTS #39 "confusables",
// not its data): each character maps to the lower-case Latin letters it is drawn like. Covers the Cyrillic
// and Greek letters that pass for Latin ones, a few Latin and IPA oddities, and digit/letter pairs.
// Characters absent from the table stand for themselves.

/** Single characters, in pairs "lookalike → prototype" grouped by prototype. */
const SINGLE: Record<string, string> = {
  a: 'аАαΑɑ⍺',          // Cyrillic а А, Greek α Α, Latin alpha ɑ, APL alpha
  b: 'ЬВβΒƅ',           // Cyrillic soft sign Ь and capital Ве, Greek β Β
  c: 'сСϲϹⅽ',           // Cyrillic с С, Greek lunate sigma ϲ Ϲ, small roman numeral c
  d: 'ԁⅾ',              // Cyrillic komi de, small roman numeral d
  e: 'еЕεΕҽ',           // Cyrillic е Е, Greek ε Ε, Cyrillic abkhasian che
  g: 'ɡ',               // Latin script g
  h: 'һНΗ',             // Cyrillic shha һ, capital en Н, Greek capital eta Η
  i: 'ıіɩιӀ',           // Latin dotless ı, Cyrillic і, Latin iota ɩ, Greek iota ι
  j: 'јЈȷϳ',            // Cyrillic је Ј, Latin dotless ȷ, Greek yot ϳ
  k: 'кКκΚ',            // Cyrillic к К, Greek κ Κ
  l: '1IІΙǀӏ|ℓⅼ',       // digit one, Latin capital I, Cyrillic І, Greek Ι, dental click ǀ, palochka ӏ, script l
  m: 'МΜⅿ',             // Cyrillic М, Greek Μ, small roman numeral m
  n: 'ηпΝ',             // Greek η, Cyrillic п, Greek capital Ν
  o: '0оОοΟσ০߀ℴ',       // digit zero, Cyrillic о О, Greek ο Ο σ, Bengali and NKo zero
  p: 'рРρΡ',            // Cyrillic р Р, Greek ρ Ρ
  q: 'ԛ',               // Cyrillic qa
  r: 'гᴦ',              // Cyrillic ге, Greek letter small capital gamma
  s: 'ѕЅ',              // Cyrillic dze
  t: 'тТτΤ',            // Cyrillic т Т, Greek τ Τ
  u: 'υμս',             // Greek υ μ, Armenian se
  v: 'νѵⅴ',             // Greek ν, Cyrillic izhitsa, small roman numeral v
  w: 'ԝωѡ',             // Cyrillic we, Greek ω, Cyrillic omega
  x: 'хХχΧⅹ',           // Cyrillic х Х, Greek χ Χ, small roman numeral x
  y: 'уУγΥү',           // Cyrillic у У ү, Greek γ Υ
  z: 'ΖᴢZ',             // Greek capital zeta
};

/** Letter pairs drawn like one letter: replaced in the skeleton after the single characters. */
export const LOOKALIKE_PAIRS: ReadonlyArray<readonly [RegExp, string]> = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
];

/** lookalike character → prototype letter(s). */
export const LOOKALIKES: ReadonlyMap<string, string> = new Map(
  Object.entries(SINGLE).flatMap(([proto, chars]) => [...chars].filter((c) => c !== proto).map((c) => [c, proto] as const)),
);
