"""Tests of semsearch.service: the facade both front ends call."""
