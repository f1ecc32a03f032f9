// The text form of QR payloads the web client shows under each QR code (safety numbers, link
// requests): base64url without padding, one text per byte string, and anything else refused.
import { fc } from "@fast-check/vitest";
import { expect, test } from "vitest";
import { codeText, MAX_CODE_TEXT, parseCodeText } from "../../../packages/web/src/components/Qr/code-text.js";

test("every byte string round-trips and matches Node's base64url", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const text = codeText(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64url"));
      if (bytes.length > 0) expect(parseCodeText(text)).toEqual(bytes);
    }),
  );
});

test("spaces, line breaks and padding in pasted text are ignored", () => {
  const bytes = Uint8Array.from({ length: 65 }, (_, i) => (i * 37) & 0xff);
  const text = codeText(bytes);
  const spaced = `  ${text.slice(0, 20)}\n${text.slice(20, 50)} ${text.slice(50)}==\n`;
  expect(parseCodeText(spaced)).toEqual(bytes);
});

test("arbitrary text is either refused or the unique text of its bytes", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const bytes = parseCodeText(text);
      if (bytes) expect(codeText(bytes)).toBe(text.replace(/\s+/g, "").replace(/=+$/, ""));
    }),
  );
});

test("refuses other alphabets, impossible lengths, non-zero trailing bits and empty text", () => {
  expect(parseCodeText("")).toBeUndefined();
  expect(parseCodeText("   ")).toBeUndefined();
  expect(parseCodeText("ab+/")).toBeUndefined(); // standard base64, not base64url
  expect(parseCodeText("abcde")).toBeUndefined(); // 5 characters: not a whole byte count
  expect(parseCodeText("AB")).toBeUndefined(); // trailing bits set: "AA" is the text of [0]
  expect(parseCodeText("AA")).toEqual(Uint8Array.of(0));
});

test("the length limit: MAX_CODE_TEXT characters accepted, one more refused", () => {
  const atLimit = "A".repeat(MAX_CODE_TEXT);
  expect(parseCodeText(atLimit)?.length).toBe((MAX_CODE_TEXT * 3) / 4);
  expect(parseCodeText(`${atLimit}AAAA`)).toBeUndefined();
  expect(parseCodeText(`${atLimit}A`)).toBeUndefined();
});
