"""Generators for the task props: blocks, boxes, containers, bowls, stands, kits, kitting shapes, rope."""
