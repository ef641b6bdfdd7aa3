"""Eigen Atlas compute core: pure Python + numpy/torch, never Streamlit.

Every function here runs the same from a page, a notebook, a script or a test.
One module per paper (``core/grokking.py`` ...) plus shared primitives:
``core/device.py`` (device choice, seeding, thread pinning) and
``core/spectral.py`` (eigen/SVD/Laplacian/Householder helpers).
"""
