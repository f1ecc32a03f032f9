// The chat screens end to end: two people in Chromium (desktop and phone) against a real relay
// chat with typing lines, read ticks, a reaction, a reply whose quote jumps to the original, an
// edit, a delete, emoji by shortcode and picker; the pages pass axe in light and dark; one
// reloads and keeps history and session. Screenshots in test-output/web/chat/.
import { expect } from "vitest";
import {
  checkA11yWithPicker,
  composer,
  conversationLink,
  messageRow,
  openConversation,
  rowAction,
  send,
  setAttention,
  typingLine,
  waitForMessage,
  waitForRowName,
} from "./support/chat-page.js";
import { checkA11y, PHONE, shot, signUp, startChat, useWebSetup, webTest } from "./support/web.js";

const web = useWebSetup();

const PART = "chat";

webTest(
  "two people chat: typing, read ticks, reaction, reply jump, edit, delete, emoji, dark mode, reload",
  { timeout: 180_000 },
  async () => {
    const alice = await signUp(web.browser, web.relay, "alice", "Alice");
    const bob = await signUp(web.browser, web.relay, "bob", "Bob", PHONE);
    const a = alice.page;
    const b = bob.page;

    // A new chat by handle; an unknown handle is explained.
    await a.getByLabel("Handle to chat with").fill("nobody-here");
    await a.getByLabel("Handle to chat with").press("Enter");
    await a.getByRole("alert").filter({ hasText: "No one has that handle." }).waitFor();
    await startChat(a, "bob");
    await shot(a, PART, "01-new-conversation");

    await send(a, "hi Bob, see https://example.org/docs");
    await waitForMessage(a, "hi Bob");

    // Bob's list: unread badge and preview, then the conversation.
    await expect.poll(() => conversationLink(b, "Alice").getAttribute("aria-label"), { timeout: 30_000 }).toMatch(/1 unread/);
    await shot(b, PART, "02-list-unread");
    await checkA11y(b);
    await openConversation(b, "Alice");
    const first = await waitForMessage(b, "hi Bob");
    const link = first.getByRole("link", { name: "https://example.org/docs" });
    expect(await link.getAttribute("href")).toBe("https://example.org/docs");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await link.getAttribute("target")).toBe("_blank");

    // Bob has it open and in view: Alice's tick becomes "Read".
    await waitForRowName(a, "hi Bob", /, Read$/);

    // Typing line, then the message.
    await composer(b).pressSequentially("hel");
    await expect.poll(() => typingLine(a).textContent(), { timeout: 15_000 }).toBe("Bob is typing…");
    await expect.poll(() => conversationLink(a, "Bob").getAttribute("aria-label")).toMatch(/typing…/);
    await shot(a, PART, "03-typing");
    await composer(b).fill("hello Alice");
    await composer(b).press("Enter");
    await waitForMessage(a, "hello Alice");
    await expect.poll(() => typingLine(a).textContent()).toBe("");

    // A reaction from Bob (toolbar → quick reactions) shows as a chip for Alice.
    await rowAction(b, "hi Bob", "React");
    await b.getByRole("button", { name: "React 👍" }).click();
    await expect
      .poll(
        () =>
          messageRow(a, "hi Bob")
            .getByRole("button", { name: /^👍 1: Bob/ })
            .count(),
        { timeout: 30_000 },
      )
      .toBe(1);
    await shot(b, PART, "04-reaction");

    // Alice replies from the keyboard (R on a focused row).
    await messageRow(a, "hello Alice").focus();
    await messageRow(a, "hello Alice").press("r");
    await a.getByText("Replying to Bob").waitFor();
    await shot(a, PART, "05-replying");
    await send(a, "replying to you");
    const reply = await waitForMessage(b, "replying to you");
    // The open conversation announces incoming messages politely, never your own sends.
    await expect.poll(() => b.getByTestId("announcer").textContent(), { timeout: 10_000 }).toBe("Alice: replying to you");
    expect(await a.getByTestId("announcer").textContent()).not.toContain("replying to you");
    const quote = reply.getByRole("button", { name: /^Reply to You: hello Alice/ });
    await quote.click();
    await expect.poll(() => messageRow(b, "hello Alice").evaluate((el) => el.matches(":focus"))).toBe(true);
    await shot(b, PART, "06-reply-jump");

    // Esc cancels a reply; Shift+Enter breaks the line; a draft survives leaving the conversation.
    await messageRow(b, "replying to you").focus();
    await messageRow(b, "replying to you").press("r");
    await b.getByText("Replying to Alice").waitFor();
    await composer(b).press("Escape");
    await expect.poll(() => b.getByText("Replying to Alice").count()).toBe(0);
    await composer(b).pressSequentially("line one");
    await composer(b).press("Shift+Enter");
    await composer(b).pressSequentially("line two");
    expect(await composer(b).inputValue()).toBe("line one\nline two");
    await b.getByRole("link", { name: "Back to conversations" }).click();
    await openConversation(b, "Alice");
    expect(await composer(b).inputValue()).toBe("line one\nline two");
    await composer(b).press("Enter");
    await waitForMessage(a, /line one\s+line two/);

    // ↑ in an empty composer edits Alice's last message.
    await composer(a).click();
    await composer(a).press("ArrowUp");
    await expect.poll(() => composer(a).inputValue()).toBe("replying to you");
    await a.getByText("Editing your message").waitFor();
    await composer(a).fill("replying to you, edited");
    await composer(a).press("Enter");
    await waitForRowName(b, "replying to you, edited", /, edited/);
    await waitForRowName(a, "replying to you, edited", /, edited/);

    // Alice deletes her first message for everyone (Delete on the focused row, then confirm).
    await messageRow(a, "hi Bob").focus();
    await messageRow(a, "hi Bob").press("Delete");
    await shot(a, PART, "07-delete-confirm");
    await a.getByRole("button", { name: "Delete for everyone" }).click();
    await waitForMessage(b, "Message deleted");
    await shot(b, PART, "08-deleted");

    // Emoji: a shortcode completion, then the picker (data served by the relay, no CDN).
    await composer(a).click();
    await composer(a).pressSequentially("party :tad");
    const suggestions = a.getByRole("listbox", { name: "Emoji suggestions" });
    await suggestions.getByRole("option", { name: /:tada:/ }).waitFor();
    await shot(a, PART, "09-shortcode");
    await composer(a).press("Enter");
    await expect.poll(() => composer(a).inputValue()).toBe("party 🎉 ");
    await a.getByRole("button", { name: "Emoji" }).click();
    const picker = a.getByRole("dialog", { name: "Choose an emoji" });
    await picker.getByRole("searchbox", { name: "Search emoji" }).fill("rocket");
    await picker.getByRole("gridcell", { name: "Rocket" }).waitFor({ timeout: 15_000 });
    await shot(a, PART, "10-picker");
    await checkA11yWithPicker(a);
    await picker.getByRole("gridcell", { name: "Rocket" }).click();
    await expect.poll(() => composer(a).inputValue()).toBe("party 🎉 🚀");
    await composer(a).press("Enter");
    await waitForMessage(b, "party 🎉 🚀");

    // Light and dark, both sizes: the list and the conversation pass axe.
    await a.mouse.move(0, 0);
    await shot(a, PART, "11-conversation-light");
    await checkA11y(a);
    for (const page of [a, b]) {
      await page.emulateMedia({ colorScheme: "dark" });
      await shot(page, PART, "12-conversation-dark");
      await checkA11y(page);
    }
    await b.getByRole("link", { name: "Back to conversations" }).click();
    await conversationLink(b, "Alice").waitFor();
    await shot(b, PART, "13-list-dark");
    await checkA11y(b);
    await b.emulateMedia({ colorScheme: "light" });
    await a.emulateMedia({ colorScheme: "light" });

    // Bob reloads: the session and history are intact, and he can send again.
    await openConversation(b, "Alice");
    await b.reload();
    await waitForMessage(b, "party 🎉 🚀", 60_000);
    await waitForMessage(b, "Message deleted");
    await send(b, "back after a reload");
    await waitForMessage(a, "back after a reload");
    await shot(b, PART, "14-after-reload");

    // Read receipts wait for attention: while Bob's page is not focused/visible the message shows
    // but stays "Delivered" for Alice; once he looks, it becomes "Read".
    await setAttention(b, false);
    await send(a, "are you looking?");
    await waitForMessage(b, "are you looking?");
    await waitForRowName(a, "are you looking?", /, Delivered$/);
    await b.waitForTimeout(1_500);
    expect(await messageRow(a, "are you looking?").getAttribute("aria-label")).toMatch(/, Delivered$/);
    await setAttention(b, true);
    await waitForRowName(a, "are you looking?", /, Read$/);

    expect(alice.offOrigin).toEqual([]);
    expect(bob.offOrigin).toEqual([]);
    expect([...alice.pageErrors, ...bob.pageErrors]).toEqual([]);
  },
);
