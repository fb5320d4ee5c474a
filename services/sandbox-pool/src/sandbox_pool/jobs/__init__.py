"""The handlers of the sandbox pool's job kinds, one module each (:mod:`.apply` with
:mod:`.restore`, :mod:`.sandbox`, :mod:`.install`), and the steps they share (:mod:`.steps`)."""
