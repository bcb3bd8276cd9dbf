/**
 * The semantic view of an OpenVINO IR `.xml`: its layers and edges, without the model-level
 * `<rt_info>` (runtime/converter versions, conversion parameters, NNCF's record of how it was
 * called), the XML declaration, comments, the model's name, attribute order and whitespace. The
 * weights are the `.bin` beside it, compared by bytes (`binTensorAt` names the constant a byte
 * offset belongs to). Layer-level `<rt_info>` stays: it carries hints the runtime acts on (e.g.
 * precision hints), not only names.
 */
import type {View} from './view.ts';

const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<![^>]*>|<\/?[^>]+>|[^<]+/g;
const ATTR = /([^\s=/]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

interface Tag {
  name: string;
  attrs: Record<string, string>;
  close: boolean;
  selfClose: boolean;
}

function parseTag(t: string): Tag {
  const close = t.startsWith('</');
  const selfClose = t.endsWith('/>');
  const body = t.slice(close ? 2 : 1, selfClose ? -2 : -1).trim();
  const name = /^[^\s/>]+/.exec(body)?.[0] ?? '';
  const attrs: Record<string, string> = {};
  for (const m of body.slice(name.length).matchAll(ATTR)) attrs[m[1]!] = m[3] ?? m[4] ?? '';
  return {name, attrs, close, selfClose};
}

const canonTag = (t: Tag) =>
  t.close ? `</${t.name}>` : `<${t.name}${Object.keys(t.attrs).sort().map((k) => ` ${k}="${t.attrs[k]}"`).join('')}${t.selfClose ? '/' : ''}>`;

/** Parses an IR `.xml` into its semantic view. Throws on text that is not an IR (no `<net>`). */
export function irView(xml: string): View {
  const layers: View[] = [];
  const other: Record<string, View> = {};
  let version = '';
  let depth = 0;
  let skipUntil = -1; // depth whose closing tag ends a skipped element
  let current: {tag: string; parts: string[]; attrs: Record<string, string>} | undefined;
  let sawNet = false;
  for (const [tok] of xml.matchAll(TOKEN)) {
    if (tok.startsWith('<!--') || tok.startsWith('<?') || tok.startsWith('<!')) continue;
    if (!tok.startsWith('<')) {
      if (skipUntil < 0 && current && tok.trim()) current.parts.push(tok.trim());
      continue;
    }
    const t = parseTag(tok);
    if (t.close) depth--;
    if (skipUntil >= 0) {
      if (t.close && depth === skipUntil) skipUntil = -1;
      else if (!t.close && !t.selfClose) depth++;
      continue;
    }
    if (!t.close && depth === 0 && t.name === 'net') {
      sawNet = true;
      version = t.attrs['version'] ?? '';
    } else if (!t.close && depth === 1 && t.name === 'rt_info') {
      if (!t.selfClose) {
        skipUntil = depth;
        depth++;
      }
      continue;
    } else if (current) {
      current.parts.push(canonTag(t));
      // A layer inside <layers> (depth 2) is one item; anything else at depth 1 (edges, …) is one entry.
      if (t.close && depth === (current.tag === 'layer' ? 2 : 1)) {
        if (current.tag === 'layer') layers.push({name: current.attrs['name'] ?? '', id: current.attrs['id'] ?? '', ir: current.parts.join('')});
        else other[current.tag] = current.parts.join('');
        current = undefined;
      }
    } else if (!t.close && ((depth === 2 && t.name === 'layer') || (depth === 1 && t.name !== 'layers'))) {
      current = {tag: t.name, parts: [canonTag(t)], attrs: t.attrs};
      if (t.selfClose) {
        if (t.name === 'layer') layers.push({name: t.attrs['name'] ?? '', id: t.attrs['id'] ?? '', ir: current.parts.join('')});
        else other[t.name] = current.parts.join('');
        current = undefined;
      }
    }
    if (!t.close && !t.selfClose) depth++;
  }
  if (!sawNet) throw new Error('not an OpenVINO IR: no <net> element');
  return {version, layers, ...other};
}

/** Which `Const` layer's weights hold byte `offset` of the `.bin` (from the `.xml`'s `<data offset size>`). */
export function binTensorAt(xml: string, offset: number): string | undefined {
  const layer = /<layer\b[^>]*>[\s\S]*?<\/layer>/g;
  for (const [l] of xml.matchAll(layer)) {
    const data = /<data\b[^>]*\boffset="(\d+)"[^>]*\bsize="(\d+)"/.exec(l) ?? /<data\b[^>]*\bsize="(\d+)"[^>]*\boffset="(\d+)"/.exec(l);
    if (!data) continue;
    const swapped = !/offset="\d+"[^>]*size=/.test(data[0]);
    const off = Number(swapped ? data[2] : data[1]);
    const size = Number(swapped ? data[1] : data[2]);
    if (offset >= off && offset < off + size) return /\bname="([^"]*)"/.exec(l)?.[1];
  }
  return undefined;
}
