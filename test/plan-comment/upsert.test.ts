import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClient, upsertComment, type PullRequest } from "../../tools/plan-comment/github.js";
import { markerFor } from "../../tools/plan-comment/render.js";
import { BOT, OWNER, PR, PullRequestComments, REPO } from "./github-double.js";

const pr: PullRequest = { owner: OWNER, repo: REPO, number: PR };
const body = (stack: string, text: string) => `${markerFor(stack)}\n\n${text}`;

describe("the sticky comment of a stack", () => {
  let double: PullRequestComments;
  let baseUrl: string;

  beforeEach(async () => {
    double = new PullRequestComments();
    baseUrl = await double.github.start();
  });
  afterEach(async () => {
    await double.github.stop();
  });

  const upsert = (stack: string, text: string, options: { create?: boolean; author?: string } = {}) =>
    upsertComment(createClient("ghs_test", baseUrl), pr, { marker: markerFor(stack), body: body(stack, text), create: options.create ?? true, author: options.author });

  it("is created by the first run and updated by the second, never twice", async () => {
    const first = await upsert("dev", "plan one");
    const second = await upsert("dev", "plan two");
    expect(first.action).toBe("created");
    expect(second).toMatchObject({ action: "updated", id: first.action === "created" ? first.id : -1 });
    expect(double.comments.map((comment) => comment.body)).toEqual([body("dev", "plan two")]);
    expect(double.writes()).toEqual([`POST /repos/${OWNER}/${REPO}/issues/${PR}/comments`, `PATCH /repos/${OWNER}/${REPO}/issues/comments/${double.comments[0]!.id}`]);
  });

  it("leaves another stack's comment and other users' comments untouched", async () => {
    const prod = double.add(body("prod", "prod plan"), BOT);
    const human = double.add("LGTM, but see the destroy", "octocat");
    // Someone pasted dev's marker into their own comment: it is not ours to edit.
    const quoted = double.add(body("dev", "quoted by a human"), "octocat");
    await upsert("dev", "plan one", { author: BOT });
    await upsert("dev", "plan two", { author: BOT });
    expect(double.comments.find((c) => c.id === prod.id)!.body).toBe(body("prod", "prod plan"));
    expect(double.comments.find((c) => c.id === human.id)!.body).toBe("LGTM, but see the destroy");
    expect(double.comments.find((c) => c.id === quoted.id)!.body).toBe(body("dev", "quoted by a human"));
    expect(double.comments.filter((c) => c.login === BOT && c.body.startsWith(markerFor("dev")))).toHaveLength(1);
  });

  it("does not mistake a stack whose name starts like another's for it", async () => {
    double.add(body("dev-eu", "eu plan"), BOT);
    expect((await upsert("dev", "plan")).action).toBe("created");
    expect(double.comments.map((c) => c.body)).toEqual([body("dev-eu", "eu plan"), body("dev", "plan")]);
  });

  it("finds its comment on a later page of a long discussion", async () => {
    for (let i = 0; i < 150; i += 1) double.add(`comment ${i}`, "octocat");
    const ours = double.add(body("dev", "old plan"), BOT);
    const result = await upsert("dev", "new plan");
    expect(result).toMatchObject({ action: "updated", id: ours.id });
    expect(double.github.calls().filter((call) => call.startsWith("GET"))).toHaveLength(2);
  });

  it("creates nothing for an empty plan, but replaces an outdated comment", async () => {
    expect((await upsert("dev", "No changes.", { create: false })).action).toBe("skipped");
    expect(double.comments).toEqual([]);
    double.add(body("dev", "37 to destroy"), BOT);
    expect((await upsert("dev", "No changes.", { create: false })).action).toBe("updated");
    expect(double.comments.map((c) => c.body)).toEqual([body("dev", "No changes.")]);
  });

  it("fails when the token may not comment (403), saying which permission is missing", async () => {
    double.fail(`POST /repos/${OWNER}/${REPO}/issues/${PR}/comments`, 403, "Resource not accessible by integration");
    await expect(upsert("dev", "plan")).rejects.toThrow(/refused \(403\) to comment on acme\/infra#7: Resource not accessible by integration\. The token needs "pull-requests: write"/);
  });

  it("fails when the pull request does not exist (404), naming the repository and number to check", async () => {
    double.fail(`GET /repos/${OWNER}/${REPO}/issues/${PR}/comments?per_page=100&page=1`, 404, "Not Found");
    await expect(upsert("dev", "plan")).rejects.toThrow(/GitHub answered 404 for acme\/infra#7: Not Found\. Check the repository .* and the pull request number/);
  });

  it("fails when GitHub rejects the body (422), giving its length and the limit", async () => {
    double.fail(`POST /repos/${OWNER}/${REPO}/issues/${PR}/comments`, 422, "Validation Failed");
    const length = body("dev", "plan").length;
    await expect(upsert("dev", "plan")).rejects.toThrow(
      `rejected the comment on acme/infra#7 (422): Validation Failed. The body was ${length} characters (GitHub accepts at most 65,536)`,
    );
  });
});
