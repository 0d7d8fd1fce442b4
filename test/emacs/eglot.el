;;; eglot.el --- asyncwise server under Emacs's eglot, in batch mode  -*- lexical-binding: t -*-
;; Opens $ASYNCWISE_FILE in python-mode with the README's eglot configuration (the server run as
;; `node $ASYNCWISE_CLI server`), waits for asyncwise's diagnostics in flymake and prints them, one per
;; line: LINE TYPE CODE. test/unit/emacs.test.ts compares them with the CLI.
;;
;;   ASYNCWISE_CLI=dist/cli.js ASYNCWISE_FILE=/tmp/ws/worker.py emacs --batch -l test/emacs/eglot.el
(require 'cl-lib)
(require 'eglot)
(require 'flymake)
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs `(python-mode . ("node" ,(getenv "ASYNCWISE_CLI") "server"))))
(setq eglot-sync-connect 30)
(find-file (getenv "ASYNCWISE_FILE"))
(python-mode)
(flymake-mode 1)
;; What M-x eglot does, without the prompt (eglot-ensure waits for a command loop batch mode lacks).
(apply #'eglot (eglot--guess-contact))
(defun asyncwise--ours ()
  (cl-remove-if-not (lambda (d) (string-match-p "\\[AW[0-9]+\\]" (format "%s" (flymake-diagnostic-text d)))) (flymake-diagnostics)))
(let ((deadline (+ (float-time) 60)))
  (while (and (< (float-time) deadline) (null (asyncwise--ours)))
    (accept-process-output nil 0.2)
    (flymake-start)))
;; Let a second wave (cross-file findings after the project index) land.
(let ((until (+ (float-time) 1.5))) (while (< (float-time) until) (accept-process-output nil 0.1)))
(flymake-start)
(accept-process-output nil 0.3)
(dolist (d (asyncwise--ours))
  (let ((text (format "%s" (flymake-diagnostic-text d))))
    (string-match "\\[\\(AW[0-9]+\\)\\]" text)
    (princ (format "asyncwise-eglot %d %s %s\n" (line-number-at-pos (flymake-diagnostic-beg d)) (flymake-diagnostic-type d) (match-string 1 text)))))
(kill-emacs 0)
