"""The end-to-end layer: static C programs (tests/e2e) run as init of a
UML kernel, on ext2 over a ubd image.

plan (the programs and the variants), build (the programs and the
kernels), machine (the image, the hostfs root, booting and killing UML),
outcome (how each program ended, as KTAP), run (a variant end to end, the
layer's counts, make bench's boots) and cli (tools/pcl e2e).

Adding a program: see README.md, "Adding an end-to-end program".
"""
