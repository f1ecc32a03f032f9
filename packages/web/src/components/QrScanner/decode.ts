// QR decoding with zxing-wasm, loaded on first use (its own chunk). The wasm comes from this
// origin: zxing would fetch it from a CDN by default, which the CSP forbids and privacy rules out.
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";
import wasmUrl from "zxing-wasm/reader/zxing_reader.wasm?url";

prepareZXingModule({
  overrides: { locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? wasmUrl : prefix + path) },
});

/** The text of the first QR code in `image`, if any. */
export async function decodeQr(image: ImageData): Promise<string | undefined> {
  const results = await readBarcodes(image, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 });
  return results.find((r) => r.isValid)?.text;
}
