// "Send code" on the sign-up and SMS sign-in forms, without leaving the page (no framework).
// Without script the button posts the form to /accounts/sms/send/, which comes back here.
(function () {
  "use strict";
  document.querySelectorAll("[data-sms-send]").forEach(function (button) {
    var form = button.form;
    var status = document.getElementById("sms-status");
    var label = button.textContent;
    // With script the button only sends the code: Enter in the form now submits the form itself,
    // and the button moves beside the code field.
    button.type = "button";
    var codeField = form.querySelector("[name=sms_code]");
    var row = button.closest(".sms-send");
    if (codeField && row && codeField.closest(".field")) codeField.closest(".field").after(row);
    function countdown(seconds) {
      button.disabled = true;
      var tick = function () {
        if (seconds <= 0) {
          button.disabled = false;
          button.textContent = label;
          return;
        }
        button.textContent = label + " (" + seconds + ")";
        seconds -= 1;
        window.setTimeout(tick, 1000);
      };
      tick();
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      body.append("phone", form.querySelector("[name=phone]").value);
      body.append("purpose", button.value);
      status.textContent = "";
      fetch(button.formAction, { method: "POST", body: body, headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          status.textContent = answer.message;
          status.setAttribute("data-sent", answer.sent ? "yes" : "no");
          if (answer.retry_after) countdown(answer.retry_after);
        })
        .catch(function () { status.textContent = button.getAttribute("data-failed") || "…"; });
    });
    button.setAttribute("data-sms-ready", "yes");
  });
})();
