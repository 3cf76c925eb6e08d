// The guest's copy of the scheduler's nodes, by the slot the host assigned (update-nodes).
import { Node } from "./types";

const table = new Array<Node | null>();

export function setNode(slot: u32, node: Node | null): void {
  while (<u32>table.length <= slot) table.push(null);
  unchecked((table[slot] = node));
}

/** The node in `slot`; traps when the host names a slot it never filled. */
// @ts-ignore: decorator
@inline export function nodeAt(slot: u32): Node {
  const node = slot < <u32>table.length ? unchecked(table[slot]) : null;
  if (node === null) abort("filter/score named an empty node slot");
  return changetype<Node>(node);
}
