// A file's bytes as text and back, losslessly: UTF-8, with each byte that is not valid UTF-8 kept as U+DC80..U+DCFF
// (Python's "surrogateescape"), so a Latin-1 byte in a key we do not own is written back as that same byte.

/** Decodes UTF-8; an invalid byte 0xXY becomes the lone surrogate U+DCXY, which valid UTF-8 can never produce. */
export function decodeFileBytes(bytes: Uint8Array): string {
  const units: number[] = [];
  let text = '';
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] as number;
    let length = 0;
    let point = 0;
    if (lead < 0x80) {
      units.push(lead);
      i++;
    } else {
      if (lead >= 0xc2 && lead <= 0xdf) [length, point] = [2, lead & 0x1f];
      else if (lead >= 0xe0 && lead <= 0xef) [length, point] = [3, lead & 0x0f];
      else if (lead >= 0xf0 && lead <= 0xf4) [length, point] = [4, lead & 0x07];
      let valid = length > 0 && i + length <= bytes.length;
      for (let k = 1; valid && k < length; k++) {
        const next = bytes[i + k] as number;
        if ((next & 0xc0) !== 0x80) valid = false;
        else point = (point << 6) | (next & 0x3f);
      }
      // Shortest form only, no surrogates, nothing past U+10FFFF: what Python's strict decoder accepts.
      const smallest = length === 3 ? 0x800 : length === 4 ? 0x10000 : 0x80;
      if (valid && point >= smallest && point <= 0x10ffff && !(point >= 0xd800 && point <= 0xdfff)) {
        if (point > 0xffff) units.push(0xd800 + ((point - 0x10000) >> 10), 0xdc00 + ((point - 0x10000) & 0x3ff));
        else units.push(point);
        i += length;
      } else {
        units.push(0xdc00 + lead);
        i++;
      }
    }
    if (units.length >= 8192) text += String.fromCharCode(...units.splice(0));
  }
  return text + String.fromCharCode(...units);
}

/** Encodes as UTF-8; a lone U+DC80..U+DCFF is the byte it stood for. */
export function encodeFileText(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let point = text.charCodeAt(i);
    if (point >= 0xd800 && point <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        point = 0x10000 + ((point - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        point = 0xfffd;
      }
    } else if (point >= 0xdc80 && point <= 0xdcff) {
      bytes.push(point - 0xdc00);
      continue;
    } else if (point >= 0xdc00 && point <= 0xdfff) {
      point = 0xfffd;
    }
    if (point < 0x80) bytes.push(point);
    else if (point < 0x800) bytes.push(0xc0 | (point >> 6), 0x80 | (point & 0x3f));
    else if (point < 0x10000) bytes.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
    else bytes.push(0xf0 | (point >> 18), 0x80 | ((point >> 12) & 0x3f), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
  }
  return Uint8Array.from(bytes);
}
