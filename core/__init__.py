"""Eigen Atlas compute core: pure Python + numpy/torch, never Streamlit.

Every function here runs the same from a page, a notebook, a script or a test, and leaves the caller's
global state (torch threads, global RNGs) as it found it.

* one package per paper, named by its registry slug: ``core/<slug>/`` (``core.grokking``,
  ``core.householder``, ``core.diffspectra`` ...), whose docstring names the paper and the equations;
* shared primitives at this level: ``device`` (device choice, seeding, thread pinning for scripts),
  ``spectral`` (eigen/SVD/Laplacian/Householder helpers), ``assets`` (reading shipped files),
  ``registry`` (the twelve papers).
"""
