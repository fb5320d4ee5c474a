"""The generator's job kinds, one module each: ``generate`` (a prompt, a plan's ticket or a
fix round → an answer, then an apply job) and ``plan`` (a prompt → a build plan); ``base``
holds what each is given."""
